import '../local/runner/polyfill.ts';
import { StateMachine } from 'aws-local-stepfunctions';
import { loadDefinition } from '../local/runner/definition.ts';
const def = loadDefinition('associations', { region: 'us-west-2', account: '111122223333' });
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  new StateMachine(def as never, { validationOptions: { checkArn: false } });
  console.log('sm', Math.round(performance.now() - t));
}
const t = performance.now();
loadDefinition('associations', { region: 'us-west-2', account: '111122223333' });
console.log('def', Math.round(performance.now() - t));
