import { RuleEntity } from '../entities/rule.entity';
import { entityReader } from './rows';

describe('entityReader', () => {
  it('reads a raw row as the entity: each column under its property, base-class columns included, others ignored', () => {
    const created = new Date('2026-01-01T00:00:00Z');
    const rule = entityReader(RuleEntity)({
      id: 4,
      ref: 'demo.on_alert',
      pack_id: 2,
      pack_ref: 'demo',
      label: 'On alert',
      description: null,
      trigger: null,
      trigger_ref: 'demo.alert',
      action: 9,
      action_ref: 'demo.page',
      trigger_params: {},
      action_params: { to: 'ops' },
      conditions: [],
      condition: 'all',
      enabled: true,
      created,
      updated: created,
      _cursor_created: '2026-01-01 00:00:00+00',
    });
    expect(rule).toBeInstanceOf(RuleEntity);
    expect({ ...rule }).toEqual({
      id: 4,
      ref: 'demo.on_alert',
      packId: 2,
      packRef: 'demo',
      label: 'On alert',
      description: null,
      trigger: null,
      triggerRef: 'demo.alert',
      action: 9,
      actionRef: 'demo.page',
      triggerParams: {},
      actionParams: { to: 'ops' },
      conditions: [],
      condition: 'all',
      enabled: true,
      created,
      updated: created,
    });
  });
});
