import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** stderr of a child process that logs `message` through createLogger (pretty or JSON lines). */
function logged(json: boolean, message: string): string {
  const code = `import { createLogger } from './src/logging.ts';
const log = createLogger({ level: 'info', json: ${json} });
log.info(${JSON.stringify(message)});
log.warn({ extra: 1 }, ${JSON.stringify(message)});
setTimeout(() => undefined, 200);`;
  const child = spawnSync(process.execPath, ['--conditions=@cq/source', '--import', 'tsx', '--input-type=module', '-e', code], { cwd: packageDir, encoding: 'utf8', timeout: 30_000 });
  return child.stderr;
}

describe('createLogger', () => {
  it('masks the password of any URL in a message, pretty and JSON', () => {
    for (const json of [false, true]) {
      const out = logged(json, 'cannot reach amqps://app:hunter2@rabbit:5671/prod nor redis://:hunter2@cache/0');
      expect(out).toContain('amqps://app:**@rabbit:5671/prod');
      expect(out).toContain('redis://:**@cache/0');
      expect(out).not.toContain('hunter2');
    }
  });
});
