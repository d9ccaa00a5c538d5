-- Every node caches configuration (clients, APIs, grants, roles, Actions, tenant settings) and signing
-- keys. A write to one of these tables notifies the channel gatehouse_changes at commit, so every
-- node drops what it cached within a second instead of waiting for its cache to expire
-- (postgres.Listen). The payload is "<schema> <table>": nodes on another schema of the same database
-- ignore it. Statement-level triggers: one notification per statement, however many rows it touched;
-- PostgreSQL folds identical notifications of one transaction into one.
CREATE FUNCTION gatehouse_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gatehouse_changes', current_schema() || ' ' || TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER tenant_settings_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tenant_settings
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
CREATE TRIGGER clients_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON clients
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
CREATE TRIGGER resource_servers_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON resource_servers
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
CREATE TRIGGER client_grants_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON client_grants
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
CREATE TRIGGER roles_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON roles
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
CREATE TRIGGER role_permissions_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON role_permissions
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
CREATE TRIGGER actions_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON actions
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
CREATE TRIGGER action_versions_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON action_versions
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
CREATE TRIGGER trigger_bindings_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON trigger_bindings
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
CREATE TRIGGER signing_keys_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
CREATE TRIGGER email_provider_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON email_provider
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
-- The configuration tables added before this migration: database connections and the clients they are
-- enabled for, email templates, attack protection settings, log streams and private_key_jwt credentials.
CREATE TRIGGER connections_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connections
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
CREATE TRIGGER connection_clients_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connection_clients
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
CREATE TRIGGER email_templates_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON email_templates
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
CREATE TRIGGER attack_protection_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON attack_protection
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
CREATE TRIGGER client_credentials_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON client_credentials
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change();
