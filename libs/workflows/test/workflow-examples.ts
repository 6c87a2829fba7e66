/** Realistic workflow definitions (YAML text) shared by the lib's tests. */

/** Sequential, passing a value along with publish. */
export const SEQUENTIAL = `
version: "1.0.0"
parameters:
  name: {type: string, required: true}
vars:
  greeting: null
tasks:
  - name: compose
    action: core.echo
    input:
      message: "hello {{ parameters.name }}"
    next:
      - when: "{{ succeeded() }}"
        publish:
          - greeting: "{{ result().stdout | trim }}"
        do: [shout]
  - name: shout
    action: core.echo
    input:
      message: "{{ vars.greeting | upper }}"
    on_success: done
  - name: done
    action: core.noop
output_map:
  greeting: "{{ vars.greeting }}"
  loud: "{{ task.shout.result.stdout }}"
`;

const items = Array.from({ length: 20 }, (_, i) => `host-${i + 1}`);
/** A with_items fan-out of 20 with concurrency 5, joined with a parallel branch. */
export const FAN_OUT = `
parameters:
  hosts:
    type: array
    default: ${JSON.stringify(items)}
tasks:
  - name: prepare
    action: core.noop
    next:
      - do: [ping, audit]
  - name: ping
    action: core.echo
    with_items: "{{ parameters.hosts }}"
    concurrency: 5
    input:
      message: "{{ index }}: {{ item }}"
    on_success: summarize
  - name: audit
    action: core.noop
    on_success: summarize
  - name: summarize
    action: core.echo
    join: all
    input:
      message: "{{ task.ping.items | length }} hosts answered"
output_map:
  answered: "{{ task.ping.items | length }}"
`;

/** A failure handled by a cleanup task. */
export const CLEANUP = `
tasks:
  - name: deploy
    action: examples.fail
    on_success: notify
    on_failure: cleanup
  - name: notify
    action: core.echo
    input: {message: deployed}
  - name: cleanup
    action: core.echo
    input:
      message: "cleaning up after {{ task.deploy.status }}"
cancellation_policy: cancel_running
timeout: 600
`;

/** A task retried twice with a growing delay. */
export const RETRYING = `
tasks:
  - name: flaky
    action: examples.flaky
    retry: {count: 2, delay: 1, backoff: exponential, max_delay: 10}
    timeout: 30
    on_complete: report
  - name: report
    action: core.echo
    input:
      message: "flaky ended {{ task.flaky.status }}"
`;

// Seed 004's "Complete CI/CD Example", written as a workflow definition.
export const CI_CD = `
description: Complete CI/CD pipeline with artifacts
version: "1.0.0"
timeout: 1800
config:
  artifact_retention: 30d
  verify_checksums: true
tasks:
  - name: build
    action: ci.go_build
    input: {output: app.bin}
    artifacts: [app.bin]
  - name: test
    action: ci.run_tests
    depends_on: [build]
    consumes: [app.bin]
    artifacts:
      - {path: test-report.xml, name: test-report, type: file_text, required: false, when: always}
  - name: deploy
    action: ci.scp
    depends_on: [test]
    consumes: [app.bin, test.test-report]
    input: {target: "production:/opt/app/"}
`;

/** Polls until a service is ready: a loop through transitions, ended by its condition; `side` joins `report`. */
export const POLL_UNTIL_READY = `
tasks:
  - name: poll
    action: core.http_request
    next:
      - when: "{{ result().status != 'ready' }}"
        do: [poll]
      - when: "{{ result().status == 'ready' }}"
        do: [report]
    on_failure: report
  - {name: side, action: core.noop, on_complete: report}
  - {name: report, action: core.noop, join: all}
`;
