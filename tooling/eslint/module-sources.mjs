// Every place a TypeScript or JavaScript file names another module, as one ESLint visitor:
// `import ... from`, `export ... from`, `import()`, `import x = require()`, `require()`,
// `import('m').T` in a type, and vitest's `vi.mock('m')` / `vi.importActual('m')`.

/** vitest calls whose first argument is a module specifier. */
const VI_MODULE_CALLS = new Set(['mock', 'doMock', 'unmock', 'doUnmock', 'importActual', 'importMock']);

/**
 * Builds a visitor that calls `check(specifier, node)` once per module specifier written as a
 * string literal (template literals without expressions count too; computed specifiers are skipped).
 * @param {(specifier: string, node: import('estree').Node) => void} check
 * @returns {import('eslint').Rule.RuleListener}
 */
export function moduleSourceVisitor(check) {
  /** @param {any} node */
  const literal = (node) => {
    if (node?.type === 'Literal' && typeof node.value === 'string') check(node.value, node);
    else if (node?.type === 'TemplateLiteral' && node.expressions.length === 0) check(node.quasis[0].value.cooked, node);
  };
  return {
    ImportDeclaration: (node) => literal(node.source),
    ExportNamedDeclaration: (node) => literal(node.source),
    ExportAllDeclaration: (node) => literal(node.source),
    ImportExpression: (node) => literal(node.source),
    /** @param {any} node */
    TSExternalModuleReference: (node) => literal(node.expression),
    /** @param {any} node */
    TSImportType: (node) => {
      // typescript-eslint 8 names the `import('m')` string `source`; older versions `argument`.
      const source = node.source ?? node.argument;
      literal(source?.type === 'TSLiteralType' ? source.literal : source);
    },
    CallExpression: (node) => {
      const callee = node.callee;
      if (callee.type === 'Identifier' && callee.name === 'require') literal(node.arguments[0]);
      else if (
        callee.type === 'MemberExpression' &&
        callee.object.type === 'Identifier' &&
        callee.object.name === 'vi' &&
        callee.property.type === 'Identifier' &&
        VI_MODULE_CALLS.has(callee.property.name)
      ) {
        literal(node.arguments[0]);
      }
    },
  };
}
