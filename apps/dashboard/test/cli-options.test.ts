/** The options and the `cq-dashboard` command line, without a broker. */
import { describe, expect, it } from 'vitest';
import { DASHBOARD_DEFAULTS, parseDashboardArgs, resolveOptions } from '@cq/dashboard';

describe('options', () => {
  it('takes the defaults for what is not given', () => {
    expect(resolveOptions({ port: 8080, maxTasks: undefined })).toEqual({ ...DASHBOARD_DEFAULTS, port: 8080 });
  });

  it('refuses values that cannot be used, naming the option', () => {
    expect(() => resolveOptions({ maxTasks: 0 })).toThrow(/maxTasks: expected a whole number >= 1/);
    expect(() => resolveOptions({ maxAge: -1 })).toThrow(/maxAge: expected a number >= 0/);
    expect(() => resolveOptions({ port: 70000 })).toThrow(/port: expected 0\.\.65535/);
    expect(() => resolveOptions({ basicAuth: ['nocolon'] })).toThrow(/basicAuth: each entry must be user:password/);
  });
});

describe('cq-dashboard arguments', () => {
  it("reads Flower-like flags, lists and the environment's secrets", () => {
    const args = parseDashboardArgs(['-b', 'redis://h/1', '--port', '5556', '--read-only', '--basic-auth', 'a:1,b:2', '--auth-token', 't1', '--no-enable-events', '--max-age', '3600'],
      { CQ_DASHBOARD_AUTH_TOKEN: 't2,t3', CQ_DASHBOARD_BASIC_AUTH: 'c:3' });
    expect(args).toMatchObject({ broker: 'redis://h/1', help: false });
    expect(args.options).toMatchObject({ port: 5556, readOnly: true, basicAuth: ['a:1', 'b:2', 'c:3'], authTokens: ['t1', 't2', 't3'], enableEvents: false, maxAge: 3600 });
  });

  it("takes beat's state file for the beat page", () => {
    expect(parseDashboardArgs(['-A', 'proj.js', '--beat-schedule-filename', 'var/beat.db'], {}).options).toMatchObject({ beatScheduleFilename: 'var/beat.db' });
    expect(resolveOptions(parseDashboardArgs([], {}).options).beatScheduleFilename).toBeNull();
  });

  it('refuses an unknown flag or a bad number with the usage', () => {
    expect(() => parseDashboardArgs(['--bogus'], {})).toThrow(/usage: cq-dashboard/);
    expect(() => parseDashboardArgs(['--port', 'x'], {})).toThrow(/--port: expected a number/);
  });
});
