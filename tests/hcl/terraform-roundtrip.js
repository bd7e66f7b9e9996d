// terraform-roundtrip.js TFDIR RESTDIR REMEDIATIONS [TFDIR RESTDIR REMEDIATIONS]... — reads the Terraform render back with an HCL parser
// (@cdktf/hcl2json) and checks that it says what the REST render says.
//
// Every policy definition, initiative and assignment of RESTDIR/manifest.json must have its
// azurerm resource in TFDIR/main.tf whose attributes, mapped back to the ARM body (the mapping
// below is the inverse of generator/terraform.c's), equal the REST body: the jsonencode(...)
// arguments are parsed as HCL expressions too, so rules, parameters and metadata are compared
// value by value. Role assignments: one per role and assignment, principal_type
// ServicePrincipal; REMEDIATIONS (0 or 1) says whether remediation resources are expected.
// Prints one line per check and exits 1 on the first difference. Several renders are checked
// in one process because loading the parser costs more than a check.
'use strict';
const fs = require('fs');
const path = require('path');
const { parse } = require('@cdktf/hcl2json');

let current = '';
function fail(msg) {
  console.error('FAIL: ' + current + msg);
  process.exit(1);
}

// Terraform's JSON syntax (what hcl2json gives) writes a literal "${" as "$${" and "%{" as "%%{".
function literal(s) {
  return s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

function unescapeDeep(v) {
  if (typeof v === 'string') return literal(v);
  if (Array.isArray(v)) return v.map(unescapeDeep);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[literal(k)] = unescapeDeep(v[k]);
    return o;
  }
  return v;
}

// "${jsonencode(EXPR)}" -> the value of EXPR, parsed by the same HCL parser.
async function jsonencoded(text, what) {
  const m = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(text || '');
  if (!m) fail(`${what}: expected jsonencode(...), got ${JSON.stringify(text)}`);
  const parsed = await parse('expr.tf', 'locals {\n  v = ' + m[1] + '\n}\n');
  return unescapeDeep(parsed.locals[0].v);
}

// Canonical JSON text with sorted keys (arrays keep their order).
function canon(v) {
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']';
  if (v && typeof v === 'object')
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}';
  return JSON.stringify(v);
}

function same(a, b, what) {
  if (canon(a) !== canon(b)) {
    console.error('terraform: ' + JSON.stringify(a, null, 1).slice(0, 3000));
    console.error('rest:      ' + JSON.stringify(b, null, 1).slice(0, 3000));
    fail(what + ' differs between the terraform and the rest render');
  }
}

async function check(tfDir, restDir, expectRemediations) {
  const manifest = JSON.parse(fs.readFileSync(path.join(restDir, 'manifest.json'), 'utf8'));
  current = tfDir + ': ';
  const files = ['main.tf', 'variables.tf', 'outputs.tf'];
  const tf = { resource: {}, variable: {}, output: {}, provider: {} };
  for (const f of files) {
    const parsed = await parse(f, fs.readFileSync(path.join(tfDir, f), 'utf8'));
    for (const block of Object.keys(tf))
      if (parsed[block]) Object.assign(tf[block], block === 'resource' ? {} : parsed[block]);
    for (const [type, byLabel] of Object.entries(parsed.resource || {})) {
      tf.resource[type] = tf.resource[type] || {};
      Object.assign(tf.resource[type], byLabel);
    }
  }
  const variable = (name) => {
    const v = tf.variable[name];
    if (!v) fail(`no variable "${name}"`);
    return literal(v[0].default);
  };
  // scope of a resource: its provider alias names the subscription variable
  const scopeOf = (attrs) => {
    const alias = /^\$\{azurerm\.s(\d+)\}$/.exec(attrs.provider || '');
    if (alias) return '/subscriptions/' + variable('subscription_id_' + alias[1]);
    if (attrs.subscription_id) {
      const m = /^\/subscriptions\/\$\{var\.subscription_id_(\d+)\}$/.exec(attrs.subscription_id);
      if (!m) fail('unexpected subscription_id ' + attrs.subscription_id);
      return '/subscriptions/' + variable('subscription_id_' + m[1]);
    }
    if (attrs.management_group_id !== '${var.management_group_id}')
      fail('expected management_group_id = var.management_group_id, got ' + attrs.management_group_id);
    return variable('management_group_id');
  };
  const resources = (type) => Object.entries(tf.resource[type] || {}).map(([label, a]) => [label, a[0]]);
  const ids = {}; // "azurerm_type.label" -> ARM id
  const bodies = {}; // ARM id -> body rebuilt from the terraform
  const authz = '/providers/Microsoft.Authorization/';

  for (const [label, a] of resources('azurerm_policy_definition')) {
    const id = scopeOf(a) + authz + 'policyDefinitions/' + literal(a.name);
    ids['azurerm_policy_definition.' + label] = id;
    bodies[id] = { properties: {
      displayName: literal(a.display_name), policyType: literal(a.policy_type), mode: literal(a.mode),
      description: literal(a.description),
      metadata: await jsonencoded(a.metadata, label + '.metadata'),
      parameters: await jsonencoded(a.parameters, label + '.parameters'),
      policyRule: await jsonencoded(a.policy_rule, label + '.policy_rule') } };
  }
  const ref = (text) => {
    const m = /^\$\{(azurerm_[a-z_]+\.[A-Za-z0-9_-]+)\.id\}$/.exec(text);
    if (!m) return literal(text);
    if (!ids[m[1]]) fail('reference to an unknown resource ' + m[1]);
    return ids[m[1]];
  };
  for (const [label, a] of resources('azurerm_policy_set_definition')) {
    const id = scopeOf(a) + authz + 'policySetDefinitions/' + literal(a.name);
    ids['azurerm_policy_set_definition.' + label] = id;
    const groups = (a.policy_definition_group || []).map((g) => {
      const o = { name: literal(g.name) };
      if (g.category !== undefined) o.category = literal(g.category);
      if (g.display_name !== undefined) o.displayName = literal(g.display_name);
      if (g.description !== undefined) o.description = literal(g.description);
      if (g.additional_metadata_resource_id !== undefined)
        o.additionalMetadataId = literal(g.additional_metadata_resource_id);
      return o;
    });
    const members = [];
    for (const r of a.policy_definition_reference || []) {
      const o = { policyDefinitionReferenceId: literal(r.reference_id),
                  policyDefinitionId: ref(r.policy_definition_id) };
      if (r.parameter_values !== undefined)
        o.parameters = await jsonencoded(r.parameter_values, label + '.parameter_values');
      if (r.policy_group_names !== undefined) o.groupNames = r.policy_group_names.map(literal);
      if (r.version !== undefined) o.definitionVersion = literal(r.version);
      members.push(o);
    }
    bodies[id] = { properties: {
      displayName: literal(a.display_name), policyType: literal(a.policy_type),
      description: literal(a.description),
      metadata: await jsonencoded(a.metadata, label + '.metadata'),
      parameters: await jsonencoded(a.parameters, label + '.parameters'),
      policyDefinitionGroups: groups, policyDefinitions: members } };
  }
  const assignmentTypes = ['azurerm_management_group_policy_assignment', 'azurerm_subscription_policy_assignment'];
  const assignments = [];
  for (const type of assignmentTypes) {
    for (const [label, a] of resources(type)) {
      const id = scopeOf(a) + authz + 'policyAssignments/' + literal(a.name);
      ids[type + '.' + label] = id;
      assignments.push({ address: type + '.' + label, attrs: a, id });
      const identity = a.identity[0];
      const body = {
        location: a.location === '${var.location}' ? variable('location') : literal(a.location),
        identity: identity.type === 'UserAssigned'
          ? { type: 'UserAssigned', userAssignedIdentities: Object.fromEntries(identity.identity_ids.map((i) => [literal(i), {}])) }
          : { type: literal(identity.type) },
        properties: {
          displayName: literal(a.display_name), description: literal(a.description),
          policyDefinitionId: ref(a.policy_definition_id),
          enforcementMode: a.enforce === false ? 'DoNotEnforce' : 'Default',
          notScopes: (a.not_scopes || []).map(literal),
          parameters: await jsonencoded(a.parameters, label + '.parameters'),
          nonComplianceMessages: (a.non_compliance_message || []).map((m) => {
            const o = { message: literal(m.content) };
            if (m.policy_definition_reference_id !== undefined)
              o.policyDefinitionReferenceId = literal(m.policy_definition_reference_id);
            return o;
          }),
          metadata: await jsonencoded(a.metadata, label + '.metadata') } };
      bodies[id] = body;
    }
  }

  let compared = 0;
  for (const entry of manifest.resources) {
    const rest = JSON.parse(fs.readFileSync(path.join(restDir, entry.file), 'utf8'));
    const mine = bodies[entry.id];
    if (!mine) fail('no terraform resource for ' + entry.id);
    if (entry.kind !== 'policyAssignment') delete rest.properties.version; // azurerm has no such attribute
    same(mine, rest, entry.id);
    compared++;
  }
  if (compared !== Object.keys(bodies).length)
    fail(`terraform has ${Object.keys(bodies).length} policy resources, rest ${compared}`);
  console.log(`${tfDir}: ${compared} policy resources: terraform equals rest`);

  const roles = resources('azurerm_role_assignment');
  for (const asg of assignments) {
    for (const role of manifest.roleDefinitionIds) {
      const hit = roles.find(([, r]) => r.principal_id === '${' + asg.address + '.identity[0].principal_id}' ||
        (r.principal_id === '${var.user_assigned_identity_principal_id}' && asg.attrs.identity[0].type === 'UserAssigned'));
      const mine = roles.filter(([, r]) => r.role_definition_id.endsWith(role) &&
        r.scope === (asg.attrs.management_group_id || asg.attrs.subscription_id) &&
        r.principal_type === 'ServicePrincipal');
      if (!hit || mine.length !== 1) fail(`expected one ${role} role assignment for ${asg.address}`);
    }
  }
  if (roles.length !== assignments.length * manifest.roleDefinitionIds.length)
    fail(`expected ${assignments.length * manifest.roleDefinitionIds.length} role assignments, got ${roles.length}`);
  console.log(`${tfDir}: ${roles.length} role assignments with principal_type ServicePrincipal`);

  const remediations = resources('azurerm_management_group_policy_remediation')
    .concat(resources('azurerm_subscription_policy_remediation'));
  const want = expectRemediations ? assignments.length * manifest.remediationReferenceIds.length : 0;
  if (remediations.length !== want) fail(`expected ${want} remediation resources, got ${remediations.length}`);
  for (const [label, r] of remediations) {
    if (!manifest.remediationReferenceIds.includes(literal(r.policy_definition_reference_id)))
      fail(label + ': unknown reference id ' + r.policy_definition_reference_id);
    if (!assignments.some((a) => r.policy_assignment_id === '${' + a.address + '.id}'))
      fail(label + ': policy_assignment_id names no assignment');
  }
  console.log(`${tfDir}: ${remediations.length} remediation resources`);
  for (const name of ['assignment_id', 'principal_id'])
    if (!Object.keys(tf.output).some((o) => o.startsWith(name))) fail('no output ' + name);
}

(async () => {
  const args = process.argv.slice(2);
  if (!args.length || args.length % 3) fail('usage: terraform-roundtrip.js TFDIR RESTDIR 0|1 ...');
  for (let i = 0; i < args.length; i += 3) await check(args[i], args[i + 1], args[i + 2] === '1');
})().catch((e) => fail(e.stack || String(e)));
