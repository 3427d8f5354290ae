/**
 * Operator actions on alerts, through the one command API (validated, authorised, audited,
 * evented like every other): acknowledge, silence and end a silence, create, edit, delete
 * and reset rules. Appended to the catalogue in server/commands/index.ts.
 */
import { z } from 'zod';
import { line, TEXT_LIMITS } from '../../contracts/text';
import { alertsOf, defineCommand } from '../commands/command';
import { NewRuleSchema, RulePatchSchema } from './rules';
import { SilenceInputSchema } from './silences';

const Id = (what: string) => line({ max: TEXT_LIMITS.id, min: 1, minMessage: `${what} is required` });

export const acknowledgeAlert = defineCommand({
  name: 'alert.ack',
  summary: 'Acknowledge a firing alert (records who and when; cleared when it resolves)',
  role: 'operator',
  input: z.strictObject({ id: Id('id') }),
  run: (context, { id }, actor) => alertsOf(context).acknowledge(id, actor.name),
});

export const silenceAlerts = defineCommand({
  name: 'alert.silence',
  summary:
    'Silence one alert ({ alertId }) or every alert matching labels ({ matchers: [{ name, value }] }) for a while, with a reason',
  role: 'operator',
  input: SilenceInputSchema,
  run: (context, input, actor) => alertsOf(context).createSilence(input, actor.name),
});

export const expireSilence = defineCommand({
  name: 'silence.expire',
  summary: 'End a silence now',
  role: 'operator',
  input: z.strictObject({ id: Id('id') }),
  run: (context, { id }, actor) => alertsOf(context).expireSilence(id, actor.name),
});

export const createRule = defineCommand({
  name: 'alert.rule.create',
  summary: 'Add an alert rule: conditions on metrics, a `for` duration, keep-firing-for, severity, town or per rig',
  role: 'operator',
  input: NewRuleSchema,
  run: (context, input, actor) => alertsOf(context).createRule(input, actor.name),
});

export const updateRule = defineCommand({
  name: 'alert.rule.update',
  summary: 'Change an alert rule (thresholds, for, keep-firing-for, severity, enabled...)',
  role: 'operator',
  input: RulePatchSchema,
  run: (context, input, actor) => alertsOf(context).updateRule(input, actor.name),
});

export const deleteRule = defineCommand({
  name: 'alert.rule.delete',
  summary: "Delete an operator's alert rule (default rules are disabled instead)",
  role: 'operator',
  input: z.strictObject({ id: Id('id') }),
  run: (context, { id }, actor) => alertsOf(context).deleteRule(id, actor.name),
});

export const resetRules = defineCommand({
  name: 'alert.rules.reset',
  summary: "Put the seed's default alert rules back as they were (operators' own rules stay)",
  role: 'operator',
  input: z.strictObject({}),
  run: (context, _input, actor) => alertsOf(context).resetRules(actor.name),
});

export const ALERT_COMMANDS = [acknowledgeAlert, silenceAlerts, expireSilence, createRule, updateRule, deleteRule, resetRules];
