// Seed guide, step 6 (API route) — verbatim except the data source: the guide's `db.records.findMany`
// needs a database this app does not have, so an in-memory array filtered by ownerId stands in for it.
import { getSession, withApiAuthRequired } from '@auth0/nextjs-auth0';
import { NextResponse } from 'next/server';

const records = [
  { id: 1, ownerId: 'auth0|nobody', title: 'Someone else’s record' },
];
const db = {
  records: {
    async findMany({ where }: { where: { ownerId: string } }) {
      return records.filter((r) => r.ownerId === where.ownerId);
    },
  },
};

export const GET = withApiAuthRequired(async function handler(req) {
  const session = await getSession();

  if (!session) {
    return NextResponse.json({ error: 'Unauthorized' }, { status: 401 });
  }

  const userId = session.user.sub;

  // Fetch data scoped to user
  const data = await db.records.findMany({
    where: { ownerId: userId },
  });

  return NextResponse.json(data);
});
