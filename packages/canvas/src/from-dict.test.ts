/**
 * signatureFromDict (Celery's polymorphic `Signature.from_dict`) on the dicts Python Celery 5.2.6
 * writes (`dict(sig)` of chain, group, chord, map, starmap, chunks and a task, made here by
 * /usr/bin/python3), Signature.fromDict refusing composite dicts, and every module of the package
 * loaded first in a fresh module graph of a Node process (real ESM through tsx, not vitest's
 * loader): composite dicts read as their classes whatever was imported, and no import cycle meets
 * a class uninitialised.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, type SignatureDict } from '@cq/app';
import { execFileTracked, requirePython } from '@cq/tooling/testing';
import { Chain } from './chain.js';
import { Chord } from './chord.js';
import { SignatureDictError } from './errors.js';
import { signatureFromDict } from './from-dict.js';
import { Group } from './group.js';
import { Chunks, XMap, XStarmap } from './map.js';
import { COMPOSITE_SUBTASK_TYPES, Signature, signature } from './signature.js';

const SRC = fileURLToPath(new URL('.', import.meta.url));
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

/** `dict(sig)` of each shape, as Python Celery 5.2.6 writes it. */
const PY_DICTS = `
import json
from celery import Celery, chain, chord, group
app = Celery('p')

@app.task(name='tasks.add')
def add(x, y):
    return x + y

@app.task(name='tasks.tsum')
def tsum(xs):
    return sum(xs)

print(json.dumps({k: dict(v) for k, v in {
    'plain': add.s(1),
    'chain': chain(add.s(1, 2), add.s(3)),
    'group': group(add.s(1, 1), add.si(2, 2)),
    'chord': chord([add.s(1, 1), add.s(2, 2)], tsum.s()),
    'xmap': add.map([1, 2]),
    'xstarmap': add.starmap([[1, 2]]),
    'chunks': add.chunks([[1, 1], [2, 2]], 1),
    'chain_of_chord': chain(add.s(1, 1), chord([add.s(1), add.s(2)], tsum.s()), add.s(5)),
    'group_of_chain': group(chain(add.s(1, 1), add.s(2)), add.s(3, 3)),
}.items()}))
`;

type Shape = 'plain' | 'chain' | 'group' | 'chord' | 'xmap' | 'xstarmap' | 'chunks' | 'chain_of_chord' | 'group_of_chain';

/** Runs Python Celery; a missing interpreter or Celery fails with the command that installs it. */
function pythonDicts(): Record<Shape, SignatureDict> {
  return JSON.parse(execFileSync(requirePython(['celery']), ['-c', PY_DICTS], { encoding: 'utf8', timeout: 30_000 })) as Record<Shape, SignatureDict>;
}

const app = new Celery('canvas-from-dict', { broker_url: 'memory://' });
const add = app.task('tasks.add', (x: number, y: number) => x + y);
let py: Record<Shape, SignatureDict>;
beforeAll(() => {
  py = pythonDicts();
});
afterAll(async () => {
  await app.close();
});

describe('signatureFromDict on the dicts Python Celery 5.2 writes', () => {
  it('reads chain, group and chord dicts into their classes and writes them back unchanged', () => {
    for (const [shape, cls] of [['chain', Chain], ['group', Group], ['chord', Chord]] as const) {
      const sig = signatureFromDict(py[shape], app);
      expect(sig, shape).toBeInstanceOf(cls);
      expect(sig.app).toBe(app);
      expect(sig.toDict()).toEqual(py[shape]);
    }
    expect((signatureFromDict(py.chain) as Chain).tasks.map((t) => t.args)).toEqual([[1, 2], [3]]);
    expect((signatureFromDict(py.group) as Group).tasks.map((t) => t.immutable)).toEqual([false, true]);
    const chord = signatureFromDict(py.chord) as Chord;
    expect(chord.header.map((t) => t.args)).toEqual([[1, 1], [2, 2]]);
    expect(chord.body!.task).toBe('tasks.tsum');
  });

  it('reads nested composites as their classes at every depth', () => {
    const c = signatureFromDict(py.chain_of_chord) as Chain;
    expect(c.tasks.map((t) => t.constructor)).toEqual([Signature, Chord]);
    expect((c.tasks[1] as Chord).body).toBeInstanceOf(Chain);
    expect(c.toDict()).toEqual(py.chain_of_chord);
    const g = signatureFromDict(py.group_of_chain) as Group;
    expect(g.tasks.map((t) => t.constructor)).toEqual([Chain, Signature]);
    expect(g.toDict()).toEqual(py.group_of_chain);
  });

  it('reads task, map, starmap and chunks dicts (subtask_type null) as plain signatures, as Python does', () => {
    for (const shape of ['plain', 'xmap', 'xstarmap', 'chunks'] as const) {
      expect(py[shape].subtask_type).toBeNull();
      const sig = signatureFromDict(py[shape], app);
      expect(sig.constructor, shape).toBe(Signature);
      expect(sig.toDict()).toEqual(py[shape]);
      expect(Signature.fromDict(py[shape], app).toDict()).toEqual(py[shape]);
    }
  });

  it('reads dicts naming xmap, xstarmap or chunks as their subtask_type into their class', () => {
    for (const [shape, cls] of [['xmap', XMap], ['xstarmap', XStarmap], ['chunks', Chunks]] as const) {
      const sig = signatureFromDict({ ...py[shape], subtask_type: shape }, app);
      expect(sig, shape).toBeInstanceOf(cls);
      expect(sig.toDict()).toEqual(py[shape]);
    }
  });

  it('keeps an unknown subtask_type on a plain signature, and rejects what is not a signature dict', () => {
    const odd = { ...py.plain, subtask_type: 'mine' };
    const sig = signatureFromDict(odd, app);
    expect(sig.constructor).toBe(Signature);
    expect(sig.toDict()).toEqual(odd);
    for (const bad of [null, [], { args: [] }, { task: 1 }, { task: 't', args: 'x' }, { ...py.chain, kwargs: {} }]) {
      expect(() => signatureFromDict(bad as never, app)).toThrow(SignatureDictError);
    }
  });
});

describe('Signature.fromDict reads plain dicts only', () => {
  it('throws SignatureDictError naming signatureFromDict for every composite subtask_type', () => {
    const samples: Record<string, SignatureDict> = {
      chain: py.chain, group: py.group, chord: py.chord,
      xmap: { ...py.xmap, subtask_type: 'xmap' }, xstarmap: { ...py.xstarmap, subtask_type: 'xstarmap' }, chunks: { ...py.chunks, subtask_type: 'chunks' },
    };
    expect([...COMPOSITE_SUBTASK_TYPES].sort()).toEqual(Object.keys(samples).sort());
    for (const [type, dict] of Object.entries(samples)) {
      let thrown: unknown = null;
      try {
        Signature.fromDict(dict, app);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, type).toBeInstanceOf(SignatureDictError);
      expect((thrown as SignatureDictError).code).toBe('CQ_CANVAS_SIGNATURE_DICT');
      expect((thrown as Error).message).toContain(`a ${type} signature dict`);
      expect((thrown as Error).message).toContain('signatureFromDict(dict, app)');
      expect(signatureFromDict(dict, app).constructor, type).not.toBe(Signature);
    }
  });

  it('signature() writes the dict Python writes for add.s(1); clone() of a plain signature stays plain', () => {
    expect(signature(add, [1]).toDict()).toEqual(py.plain);
    const sig = Signature.fromDict(py.plain, app);
    expect(sig.clone([9]).args).toEqual([9, 1]);
    expect(sig.clone().constructor).toBe(Signature);
  });
});

describe('each module loads first in a fresh module graph', () => {
  const modules = readdirSync(SRC).filter((f) => f.endsWith('.ts') && !f.includes('.test')).sort();

  /**
   * In one Node process (real ESM, not vitest's loader), imports each module first in a graph of its
   * own (tsx's `tsImport` namespaces every call: a cycle that meets a class before its
   * initialisation throws there as it would in a process of its own); where the module exports
   * signatureFromDict, reads `dict` with it. Resolves `{module: 'ok' | class names | error}`.
   */
  function loadEachFirst(dict: SignatureDict): Promise<Record<string, string>> {
    const script = `
      import { tsImport } from 'tsx/esm/api';
      const [modules, dict] = JSON.parse(process.argv[1]);
      const out = {};
      for (const m of modules) {
        try {
          const mod = await tsImport('./src/' + m, import.meta.url);
          const c = mod.signatureFromDict?.(dict);
          out[m] = c ? [c.constructor.name, c.body.constructor.name, c.header[0].constructor.name].join(' ') : 'ok';
        } catch (e) {
          out[m] = String(e);
        }
      }
      console.log(JSON.stringify(out));`;
    return new Promise((resolve, reject) => {
      execFileTracked(process.execPath, ['--conditions=@cq/source', '--input-type=module', '-e', script, JSON.stringify([modules, dict])], {
        cwd: PACKAGE, timeout: 90_000,
      }, (error, stdout, stderr) => (error ? reject(new Error(stderr || error.message)) : resolve(JSON.parse(stdout) as Record<string, string>)));
    });
  }

  it('loads the package entry, chord, chain, map and every other module first', async () => {
    expect(modules).toEqual(expect.arrayContaining(['index.ts', 'chord.ts', 'chain.ts', 'map.ts', 'group.ts', 'signature.ts', 'from-dict.ts']));
    const nested = { ...py.chord, kwargs: { ...py.chord.kwargs, body: py.chain } };
    const loaded = await loadEachFirst(nested);
    const reads = new Set(['index.ts', 'from-dict.ts']);
    expect(loaded).toEqual(Object.fromEntries(modules.map((m) => [m, reads.has(m) ? 'Chord Chain Signature' : 'ok'])));
  }, 120_000);
});
