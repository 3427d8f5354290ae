'use client';
/**
 * One rig as a live stream: subscribes to the rig's room on every (re)connect, keeps the
 * latest `rig:detail`, and reports the connection so the page can say "reconnecting"
 * instead of presenting a stale view as live.
 */
import { useEffect, useState } from 'react';
import { io } from 'socket.io-client';
import type { RigDetail, RigSubscribeAck } from '@/server/realtime/socket';
import type { Connection } from './useTownStream';

export interface RigStream {
  connection: Connection;
  detail: RigDetail | null;
  /** Browser time the detail arrived, to age its numbers. */
  receivedAt: number | null;
  /** Why the server refused the subscription (an unknown rig), if it did. */
  error: string | null;
}

export function useRigStream(rig: string): RigStream {
  const [state, setState] = useState<RigStream>({ connection: 'connecting', detail: null, receivedAt: null, error: null });

  useEffect(() => {
    const socket = io({ transports: ['websocket', 'polling'] });
    // Rooms do not survive a reconnect: subscribe again each time.
    socket.on('connect', () => {
      setState((s) => ({ ...s, connection: 'live' }));
      socket.emit('rig:subscribe', rig, (ack: RigSubscribeAck) => {
        if (!ack.ok) setState((s) => ({ ...s, error: ack.error }));
      });
    });
    socket.on('disconnect', () => setState((s) => ({ ...s, connection: 'reconnecting' })));
    socket.on('connect_error', () => setState((s) => ({ ...s, connection: 'reconnecting' })));
    socket.on('rig:detail', (detail: RigDetail) => {
      if (detail.rig.name !== rig) return;
      setState({ connection: 'live', detail, receivedAt: Date.now(), error: null });
    });
    return () => {
      socket.emit('rig:unsubscribe', rig);
      socket.disconnect();
    };
  }, [rig]);

  return state;
}
