-- Work a background job does in steps (a users import): the job's input, how far it got, and the
-- lease of the node running it. A node claims an unfinished job whose lease has run out, so a job
-- outlives the node that started it and resumes where the last step committed.
CREATE TABLE job_work (
	job_id      TEXT PRIMARY KEY,
	lease_owner TEXT NOT NULL,
	lease_until BIGINT NOT NULL,
	finished    BOOLEAN NOT NULL,
	payload     TEXT NOT NULL,
	state       TEXT NOT NULL
);
CREATE INDEX job_work_claim ON job_work (finished, lease_until);
