import type { TrailConfig } from '../../src/config';

/** A complete configuration for tests: embedded engine, dynalite, terminal, UTC, defaults as documented. */
export function testConfig(overrides: Partial<TrailConfig> = {}): TrailConfig {
  return {
    timeZone: 'UTC',
    offHours: { start: '00:00', end: '05:00', weekends: false },
    knownNetworks: ['198.51.100.0/24', '2001:db8:100::/48'],
    window: { maxDays: 90, defaults: {}, deliveryLagMinutes: 15, projectionStart: '2020/01/01' },
    engine: { kind: 'duckdb', dataDir: './data', strict: false },
    trail: { prefix: '', accounts: [], regions: [] },
    store: { kind: 'dynalite', stateDir: './.trailbot', tableName: 'trailbot' },
    chat: { kind: 'terminal' },
    resultsDir: './results',
    limits: { perUser: 3, perChannel: 10, dedupeSeconds: 300, retentionDays: 90 },
    cost: { confirmAboveBytes: 10 * 1024 ** 3 },
    policy: { default: {}, commands: {} },
    ...overrides,
  };
}
