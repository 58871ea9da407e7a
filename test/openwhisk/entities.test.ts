/** Pure wire shapes of packages, triggers, rules and sequence execs. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/errors.ts';
import { createAction, updateAction } from '../../src/openwhisk/action.ts';
import { parseActionExec } from '../../src/openwhisk/exec.ts';
import { parseFullyQualifiedName } from '../../src/openwhisk/names.ts';
import { checkPackageName, createPackage, isShared, packageSummary, packageView, packageWithActions, parsePackagePut, updatePackage } from '../../src/openwhisk/package.ts';
import { createRule, parseRulePut, parseRuleStatus, ruleView, updateRule } from '../../src/openwhisk/rule.ts';
import { createTrigger, ruleLogLine, triggerView, updateTrigger, withRule } from '../../src/openwhisk/trigger.ts';

const throws400 = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    return (error as Error).message;
  }
  throw new Error('expected a 400');
};

describe('packages', () => {
  it('a binding gets the controller’s binding annotation; `_` is the package’s namespace', () => {
    const put = parsePackagePut({ binding: { namespace: '_', name: 'base' }, annotations: [{ key: 'binding', value: 'forged' }, { key: 'a', value: 1 }] }, 'guest');
    const doc = createPackage({ namespace: 'guest', name: 'b' }, put, 5);
    expect(doc.binding).toEqual({ namespace: 'guest', name: 'base' });
    expect(doc.annotations).toEqual([{ key: 'a', value: 1 }, { key: 'binding', value: { namespace: 'guest', name: 'base' } }]);
    expect(packageView(doc)).toMatchObject({ binding: { namespace: 'guest', name: 'base' }, version: '0.0.1', updated: 5 });
    expect(packageSummary(doc).binding).toEqual({ namespace: 'guest', name: 'base' });
    expect(isShared({ ...doc, publish: true })).toBe(false);
  });

  it('a plain package shows binding {} and lists binding: false; `{}` is no binding', () => {
    const doc = createPackage({ namespace: 'guest', name: 'p' }, parsePackagePut({ binding: {}, publish: true }, 'guest'), 1);
    expect(doc.binding).toBeUndefined();
    expect(packageView(doc).binding).toEqual({});
    expect(packageSummary(doc).binding).toBe(false);
    expect(isShared(doc)).toBe(true);
  });

  it('update merges and bumps the version; an update cannot unbind', () => {
    const doc = createPackage({ namespace: 'guest', name: 'b' }, parsePackagePut({ binding: { namespace: 'x', name: 'y' }, parameters: [{ key: 'k', value: 1 }] }, 'guest'), 1);
    const updated = updatePackage(doc, parsePackagePut({ binding: {}, publish: true }, 'guest'), 2);
    expect(updated).toMatchObject({ version: '0.0.2', publish: true, binding: { namespace: 'x', name: 'y' }, parameters: [{ key: 'k', value: 1 }], updated: 2 });
  });

  it('GET of a binding lays its parameters over the bound package’s, and splits feeds from actions', () => {
    const base = createPackage({ namespace: 'sys', name: 'base' }, parsePackagePut({ parameters: [{ key: 'a', value: 1 }, { key: 'b', value: 1 }] }, 'sys'), 1);
    const binding = createPackage({ namespace: 'guest', name: 'b' }, parsePackagePut({ binding: { namespace: 'sys', name: 'base' }, parameters: [{ key: 'b', value: 2 }] }, 'guest'), 1);
    const action = (name: string, annotations: { key: string; value: unknown }[]) =>
      ({ ...createAction({ namespace: 'sys', pkg: 'base', name }, { exec: { kind: 'nodejs:default', code: 'x' } }, 1), annotations });
    const view = packageWithActions(binding, [action('a', []), action('f', [{ key: 'feed', value: true }])], base);
    expect(view.parameters).toEqual([{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
    expect(view.actions).toEqual([{ name: 'a', version: '0.0.1', annotations: [] }]);
    expect(view.feeds).toEqual([{ name: 'f', version: '0.0.1', annotations: [{ key: 'feed', value: true }] }]);
  });

  it('rejects the reserved name and malformed bodies', () => {
    expect(throws400(() => checkPackageName('default'))).toBe("Package name 'default' is reserved.");
    throws400(() => parsePackagePut({ binding: { name: 'x' } }, 'guest'));
    throws400(() => parsePackagePut({ binding: { namespace: 'bad ns!', name: 'x' } }, 'guest'));
    throws400(() => parsePackagePut([], 'guest'));
  });
});

describe('triggers', () => {
  it('create, update (keeps rules), link rules, view', () => {
    const doc = createTrigger({ namespace: 'guest', name: 't' }, { parameters: [{ key: 'a', value: 1 }] }, 1);
    expect(triggerView(doc)).toEqual({ namespace: 'guest', name: 't', version: '0.0.1', publish: false, annotations: [], parameters: [{ key: 'a', value: 1 }], limits: {}, updated: 1 });
    const linked = withRule(doc, 'guest/r', { action: { path: 'guest', name: 'a' }, status: 'active' });
    const updated = updateTrigger(linked, { publish: true }, 2);
    expect(updated).toMatchObject({ version: '0.0.2', publish: true, parameters: [{ key: 'a', value: 1 }], rules: { 'guest/r': { status: 'active' } } });
    expect(triggerView(updated).rules).toEqual({ 'guest/r': { action: { path: 'guest', name: 'a' }, status: 'active' } });
    expect(triggerView(withRule(updated, 'guest/r', undefined))).not.toHaveProperty('rules');
  });

  it('a feed annotation must name an entity', () => {
    expect(createTrigger({ namespace: 'guest', name: 't' }, { annotations: [{ key: 'feed', value: '/whisk.system/alarms/alarm' }] }, 1).annotations).toHaveLength(1);
    expect(throws400(() => createTrigger({ namespace: 'guest', name: 't' }, { annotations: [{ key: 'feed', value: 'a//b' }] }, 1))).toBe('Feed name is not valid');
  });

  it('log lines are upstream’s RuleActivationResult JSON', () => {
    expect(JSON.parse(ruleLogLine('guest/r', 'guest/a', { statusCode: 0, activationId: 'x' }))).toEqual({ rule: 'guest/r', action: 'guest/a', statusCode: 0, success: true, activationId: 'x' });
    expect(JSON.parse(ruleLogLine('guest/r', 'guest/a', { statusCode: 1, error: 'no' }))).toEqual({ rule: 'guest/r', action: 'guest/a', statusCode: 1, success: false, error: 'no' });
  });
});

describe('rules', () => {
  it('references are fully qualified names or {path, name}; `_` is the rule’s namespace', () => {
    const put = parseRulePut({ trigger: '/_/t', action: { path: 'other/pkg', name: 'a' } }, 'guest');
    const doc = createRule({ namespace: 'guest', name: 'r' }, put, 1);
    expect(doc.trigger).toEqual({ path: 'guest', name: 't' });
    expect(doc.action).toEqual({ path: 'other/pkg', name: 'a' });
    expect(ruleView(doc, 'active')).toMatchObject({ status: 'active', version: '0.0.1', trigger: { path: 'guest', name: 't' } });
    expect(updateRule(doc, parseRulePut({ action: '/guest/b' }, 'guest'), 2)).toMatchObject({ version: '0.0.2', trigger: doc.trigger, action: { path: 'guest', name: 'b' } });
  });

  it('create needs both; status must be active or inactive', () => {
    expect(throws400(() => createRule({ namespace: 'guest', name: 'r' }, parseRulePut({ trigger: '/guest/t' }, 'guest'), 1))).toBe(
      'rule requires a valid trigger and a valid action',
    );
    expect(parseRuleStatus({ status: 'inactive' })).toBe('inactive');
    expect(throws400(() => parseRuleStatus({ status: 'on' }))).toBe("'on' is not a recognized rule state, must be one of ['active', 'inactive']");
    throws400(() => parseRuleStatus(null));
  });
});

describe('sequence execs', () => {
  it('components are stored fully qualified with a leading slash; `_` resolved', () => {
    expect(parseActionExec({ kind: 'sequence', components: ['/_/a', 'guest/pkg/b', '/whisk.system/utils/echo'] }, 'guest')).toEqual({
      kind: 'sequence',
      components: ['/guest/a', '/guest/pkg/b', '/whisk.system/utils/echo'],
    });
  });

  it.each([
    [{ kind: 'sequence' }, "'components' must be defined for sequence kind"],
    [{ kind: 'sequence', components: 'a' }, "'components' must be an array"],
    [{ kind: 'sequence', components: [] }, 'No component specified for the sequence.'],
    [{ kind: 'sequence', components: ['a'] }, 'The fully qualified name of the entity must contain at least the namespace and the name of the entity.'],
    [{ kind: 'sequence', components: ['/a/b/c/d'] }, "The name '/a/b/c/d' is not a valid entity name."],
    [{ kind: 'sequence', components: Array(51).fill('/g/a') }, 'Too many actions in the sequence.'],
  ])('%j → %s', (exec, message) => {
    expect(throws400(() => parseActionExec(exec, 'guest'))).toBe(message);
  });

  it('a sequence action keeps its components in _actions; becoming code drops them', () => {
    const seq = createAction({ namespace: 'guest', pkg: undefined, name: 's' }, { exec: { kind: 'sequence', components: ['/_/a'] }, parameters: [{ key: 'x', value: 1 }] }, 1);
    expect(seq.parameters).toEqual([{ key: '_actions', value: ['/guest/a'] }]);
    expect(updateAction(seq, { parameters: [{ key: 'x', value: 1 }] }, 2).parameters).toEqual([{ key: '_actions', value: ['/guest/a'] }]);
    expect(updateAction(seq, { exec: { kind: 'nodejs:default', code: 'x' } }, 2).parameters).toEqual([]);
  });

  it('parseFullyQualifiedName', () => {
    expect(parseFullyQualifiedName('/ns/pkg/a', 'guest')).toEqual({ namespace: 'ns', pkg: 'pkg', name: 'a' });
    expect(parseFullyQualifiedName('/_/a', 'guest')).toEqual({ namespace: 'guest', pkg: undefined, name: 'a' });
  });
});
