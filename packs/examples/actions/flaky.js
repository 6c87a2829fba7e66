// Reads its own execution with the execution token: the workflow engine numbers each retry of a
// task in workflow_task.attempt, so no state is shared between attempts (which may run on
// different workers, as different users).
const { ATTUNE_API_URL, ATTUNE_API_TOKEN, ATTUNE_EXEC_ID } = process.env;
let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', async () => {
  const failTimes = Number(JSON.parse(input || '{}').fail_times ?? 2);
  const res = await fetch(`${ATTUNE_API_URL}/api/v1/executions/${ATTUNE_EXEC_ID}`, {
    headers: { authorization: `Bearer ${ATTUNE_API_TOKEN}` },
  });
  if (!res.ok) {
    console.error(`could not read execution ${ATTUNE_EXEC_ID}: HTTP ${res.status}`);
    process.exit(2);
  }
  const attempt = (await res.json()).data.workflow_task?.attempt ?? 1;
  if (attempt <= failTimes) {
    console.error(`attempt ${attempt} of at least ${failTimes + 1}: failing on purpose`);
    process.exit(1);
  }
  console.log(JSON.stringify({ attempt }));
});
