import { NextResponse } from 'next/server';
import { route } from '@/lib/api';
import { runtime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** Rigs being cloned right now, with git's last phase and percent (what `gt rig add` polls). */
export const GET = route(() => NextResponse.json(runtime().rigCloner.inProgress()));
