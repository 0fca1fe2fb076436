/**
 * The ClusterConfig a run's input names, read and validated for the run's operation. Kept apart
 * from request.ts because it needs the YAML parser and the config rules, which the task that
 * builds the request from the validated config does not carry.
 */
import {
  type ClusterConfig,
  parseClusterConfig,
  parseClusterConfigValue,
} from '../config/index.ts';
import { type ConfigInput, configSource, describeSource, InvalidRequestError } from './request.ts';

/**
 * The input's config: the S3 object's `text`, or the inline value. Throws ConfigValidationError
 * listing every problem of the config, or InvalidRequestError when an S3 config's text is
 * missing.
 */
export function validatedConfig(input: ConfigInput, text: string | undefined): ClusterConfig {
  const options = {
    operation: input.operation,
    scope: input.scope,
    source: describeSource(configSource(input)),
  };
  if ('inline' in input.config) return parseClusterConfigValue(input.config.inline, options);
  if (text === undefined) {
    throw new InvalidRequestError([
      {
        path: 'config.s3',
        message: `the text of ${options.source} was not read before validating it`,
      },
    ]);
  }
  return parseClusterConfig(text, options);
}
