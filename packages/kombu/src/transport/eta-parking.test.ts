import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { formatPythonIsoDate } from '../serialization/isodate.js';
import { etaOf, isEtaParkingChannel, parkUntil, resolveEtaParking } from './eta-parking.js';

describe('broker-side ETA settings', () => {
  it('defaults to a 60 s horizon, capped at half the visibility timeout; store_eta false turns it off', () => {
    expect(resolveEtaParking('redis', {}, 3600)).toEqual({ horizon: 60 });
    expect(resolveEtaParking('redis', {}, 10)).toEqual({ horizon: 5 });
    expect(resolveEtaParking('redis', { eta_horizon: '0' }, 3600)).toEqual({ horizon: 0 });
    expect(resolveEtaParking('sqlite', { store_eta: false, eta_horizon: 5 }, 3600)).toEqual({ horizon: null });
    expect(resolveEtaParking('sqlite', { store_eta: 'false' }, 3600)).toEqual({ horizon: null });
  });

  it('refuses a horizon that is not seconds >= 0 and a store_eta that is not a boolean', () => {
    expect(() => resolveEtaParking('redis', { eta_horizon: -1 }, 3600)).toThrow(ConfigurationError);
    expect(() => resolveEtaParking('redis', { eta_horizon: 'soon' }, 3600)).toThrow(/eta_horizon must be a number of seconds/);
    expect(() => resolveEtaParking('sqlite', { store_eta: 'yes' }, 3600)).toThrow(/sqlite transport option store_eta must be true or false/);
  });

  it('parks at publish only what is due past the horizon', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const eta = (s: number) => ({ eta: formatPythonIsoDate(new Date(now + s * 1000)) });
    expect(parkUntil({ horizon: 60 }, eta(61), now)).toBe(now + 61_000);
    expect(parkUntil({ horizon: 60 }, eta(60), now)).toBeNull();
    expect(parkUntil({ horizon: null }, eta(3600), now)).toBeNull();
    expect(parkUntil({ horizon: 60 }, { eta: 'not a date' }, now)).toBeNull();
    expect(parkUntil({ horizon: 60 }, {}, now)).toBeNull();
    expect(etaOf({ eta: '2026-01-01T00:01:00.5Z' })).toBe(now + 60_500);
  });

  it('recognises a parking channel by its members', () => {
    expect(isEtaParkingChannel({ etaHorizon: null, parkDelivery: async () => true })).toBe(true);
    expect(isEtaParkingChannel({ parkDelivery: async () => true })).toBe(false);
    expect(isEtaParkingChannel({})).toBe(false);
  });
});
