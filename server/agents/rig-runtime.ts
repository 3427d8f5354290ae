/**
 * The town's agent runtime: each rig chooses its own (RigSettings.agent), so one town can
 * run the scripted demo agent on one rig and Claude Code or a custom command on another.
 * A session goes to the runtime its rig names when it starts; changing the setting
 * affects the next session, never a running one.
 */
import { invalid } from '../engine/errors';
import type { AgentHandle, AgentRuntime, AgentSession, InjectedFailure } from '../engine/ports';
import type { CommandAgentRuntime } from './command-agent';
import type { ScriptedAgentRuntime } from './scripted-agent';

export class RigAgentRuntime implements AgentRuntime {
  /** Which kind of agent each polecat last ran. */
  private readonly kinds = new Map<string, 'scripted' | 'external'>();

  constructor(
    private readonly scripted: ScriptedAgentRuntime,
    private readonly external: CommandAgentRuntime,
  ) {}

  start(session: AgentSession): AgentHandle {
    const scripted = session.rig.settings.agent.kind === 'scripted';
    this.kinds.set(session.polecat.id, scripted ? 'scripted' : 'external');
    return scripted ? this.scripted.start(session) : this.external.start(session);
  }

  /** Simulated failures are the scripted agent's; a real process fails for real. */
  inject(polecatId: string, failure: InjectedFailure, sticky: boolean): void {
    if (this.kinds.get(polecatId) === 'external')
      throw invalid(`${polecatId} runs an external agent: failures cannot be simulated, only happen`);
    this.scripted.inject(polecatId, failure, sticky);
  }
}
