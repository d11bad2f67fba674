// House rule (package.json, through @eslint/json): a package's `exports` map holds only `.`,
// `./package.json` and the deliberate subpaths (`./testing`: a conformance suite or test support).
// Every other key would publish an internal path, the same leak `export *` causes in an index.

const DEFAULT_ALLOWED = ['.', './package.json', './testing'];

/**
 * @param {any} member a momoa Member node
 * @returns {string}
 */
const keyOf = (member) => (member.name.type === 'String' ? member.name.value : member.name.name);

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    languages: ['json/json'],
    docs: { description: 'Restrict a package.json `exports` map to `.`, `./package.json` and `./testing`' },
    schema: [
      {
        type: 'object',
        properties: { allowed: { type: 'array', items: { type: 'string' } } },
        additionalProperties: false,
      },
    ],
    messages: {
      subpath: 'package.json `exports` key `{{key}}` is not a deliberate public subpath (allowed: {{allowed}}).',
    },
  },
  create(context) {
    /** @type {string[]} */
    const allowed = context.options[0]?.allowed ?? DEFAULT_ALLOWED;
    return {
      /** @param {any} node */
      Document(node) {
        if (node.body.type !== 'Object') return;
        const exportsMember = node.body.members.find((/** @type {any} */ m) => keyOf(m) === 'exports');
        // A string (or array) `exports` is the `.` entry alone.
        if (exportsMember === undefined || exportsMember.value.type !== 'Object') return;
        for (const member of exportsMember.value.members) {
          const key = keyOf(member);
          // Condition keys (`import`, `default`, ...) instead of paths are the `.` entry too.
          if (!key.startsWith('.') || allowed.includes(key)) continue;
          context.report({
            loc: member.name.loc,
            messageId: 'subpath',
            data: { key, allowed: allowed.map((a) => `\`${a}\``).join(', ') },
          });
        }
      },
    };
  },
};
