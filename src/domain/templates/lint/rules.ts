/**
 * The rule registry: every rule the linter can report, with its severity and a one-line
 * description (for docs and `recontact templates lint --list`), grouped by the file that checks it.
 */
import { bodyGroup } from './body';
import { buttonsGroup } from './buttons';
import { categoryGroup } from './category';
import { examplesGroup } from './examples';
import { footerGroup } from './footer';
import { headerGroup } from './header';
import { languageGroup } from './language';
import { messengerGroup } from './messenger';
import { nameGroup } from './name';
import { recontactGroup } from './recontact';
import { routingGroup } from './routing';
import { shapeGroup } from './shape';
import { structureGroup } from './structure';
import type { RuleGroup, RuleInfo } from './types';
import { variablesGroup } from './variables';

/** In the order they run, which is the order findings come out for one template. */
export const RULE_GROUPS: readonly RuleGroup[] = [
  shapeGroup,
  nameGroup,
  languageGroup,
  categoryGroup,
  structureGroup,
  headerGroup,
  bodyGroup,
  footerGroup,
  buttonsGroup,
  variablesGroup,
  examplesGroup,
  recontactGroup,
  routingGroup,
  messengerGroup,
];

export const RULES: readonly RuleInfo[] = RULE_GROUPS.flatMap((g) => g.rules);

const BY_ID = new Map(RULES.map((r) => [r.id, r]));

export function ruleInfo(id: string): RuleInfo | undefined {
  return BY_ID.get(id);
}
