/** Which components a template holds: exactly one BODY, at most one of the others, known types. */
import type { RuleGroup } from './types';
import { describe, plural } from './util';

export const COMPONENT_TYPES = ['HEADER', 'BODY', 'FOOTER', 'BUTTONS'] as const;
/** Component types Meta has that Recontact neither lints nor sends (carousel, offer templates). */
export const UNSUPPORTED_COMPONENT_TYPES = ['CAROUSEL', 'LIMITED_TIME_OFFER'] as const;

const KNOWN = new Set<string>(COMPONENT_TYPES);
const UNSUPPORTED = new Set<string>(UNSUPPORTED_COMPONENT_TYPES);

export const structureGroup: RuleGroup = {
  name: 'structure',
  rules: [
    { id: 'body-count', severity: 'error', description: 'A template has exactly one BODY component.' },
    {
      id: 'component-duplicate',
      severity: 'error',
      description: 'A template has at most one HEADER, one FOOTER and one BUTTONS component.',
    },
    {
      id: 'component-type',
      severity: 'error',
      description: 'Component types are HEADER, BODY, FOOTER or BUTTONS, written in upper case.',
    },
    {
      id: 'type-unsupported',
      severity: 'warning',
      description:
        'A component, header format or button type Meta knows but Recontact does not lint or send (CAROUSEL, FLOW…).',
    },
    {
      id: 'template-duplicate',
      severity: 'error',
      description:
        'No two templates share the same name and language (checked across a file or a set of files).',
      metaCode: 2388024,
    },
  ],
  check({ t, report }) {
    if (!t.componentsValid) return;
    for (const comp of t.components) {
      const raw = comp.raw.type;
      if (comp.type !== undefined && KNOWN.has(comp.type)) continue;
      if (comp.type !== undefined && UNSUPPORTED.has(comp.type)) {
        report('type-unsupported', {
          path: `${comp.path}.type`,
          component: comp.type,
          message: `${comp.type} components are not checked by this linter nor sent by Recontact`,
          fix: 'lint and preview this template in WhatsApp Manager, or use HEADER/BODY/FOOTER/BUTTONS only',
        });
        continue;
      }
      const upper = typeof raw === 'string' ? raw.trim().toUpperCase() : undefined;
      report('component-type', {
        path: `${comp.path}.type`,
        message:
          raw === undefined
            ? `component ${comp.index} has no type`
            : `component type ${typeof raw === 'string' ? JSON.stringify(raw) : describe(raw)} is not one of HEADER, BODY, FOOTER, BUTTONS`,
        fix:
          upper && KNOWN.has(upper)
            ? `write type: ${upper} (upper case)`
            : 'set type to HEADER, BODY, FOOTER or BUTTONS',
      });
    }
    const bodies = t.components.filter((c) => c.type === 'BODY');
    if (bodies.length === 0) {
      report('body-count', {
        path: 'components',
        message: 'the template has no BODY component; Meta requires exactly one',
        fix: 'add a component { type: BODY, text: … } with the message text',
      });
    } else if (bodies.length > 1) {
      report('body-count', {
        path: bodies[1]!.path,
        component: 'BODY',
        message: `the template has ${plural(bodies.length, 'BODY component')}; Meta requires exactly one`,
        fix: 'merge the texts into one BODY component',
      });
    }
    for (const type of ['HEADER', 'FOOTER', 'BUTTONS']) {
      const comps = t.components.filter((c) => c.type === type);
      if (comps.length > 1) {
        report('component-duplicate', {
          path: comps[1]!.path,
          component: type,
          message: `the template has ${comps.length} ${type} components; Meta allows at most one`,
          fix:
            type === 'BUTTONS'
              ? 'put all buttons in the buttons list of a single BUTTONS component'
              : `keep a single ${type} component`,
        });
      }
    }
  },
};
