import { ListConditions } from './list-page';

describe('ListConditions.equal', () => {
  it('compares each field the filter sets, in the order of the columns, numbering after earlier conditions', () => {
    const c = new ListConditions().add((n) => `created > $${n}`, 'then');
    c.equal({ event: 7, ruleRef: 'a.b', status: undefined }, { ruleRef: 'rule_ref', status: 'status', event: 'event' });
    expect(c.sql()).toBe('WHERE created > $1 AND rule_ref = $2 AND event = $3');
    expect(c.params).toEqual(['then', 'a.b', 7]);
  });

  it('takes an empty string for no filter, and 0 or false for a value', () => {
    const c = new ListConditions().equal({ ruleRef: '', rule: 0, enabled: false }, { ruleRef: 'rule_ref', rule: 'rule', enabled: 'enabled' });
    expect(c.where).toEqual(['rule = $1', 'enabled = $2']);
    expect(c.params).toEqual([0, false]);
  });
});
