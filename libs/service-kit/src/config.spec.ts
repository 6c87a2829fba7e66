import { IsBoolean, IsInt, IsString, Max, Min } from 'class-validator';
import { ConfigError, envBool, validateConfig } from './config';

class SampleConfig {
  @IsInt() @Min(1) @Max(65535) port = 8080;
  @IsString() name = 'x';
  @IsBoolean() flag = false;
}

describe('validateConfig', () => {
  it('keeps defaults for unset values and converts strings by the default type', () => {
    expect(validateConfig(SampleConfig, { port: undefined, name: '' })).toEqual({ port: 8080, name: 'x', flag: false });
    expect(validateConfig(SampleConfig, { port: '9090', flag: 'yes' })).toMatchObject({ port: 9090, flag: true });
  });

  it('names every problem at once', () => {
    try {
      validateConfig(SampleConfig, { port: 'eighty', flag: 'maybe' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toContain('port');
      expect(problems).toContain('"eighty"');
      expect(problems).toContain('flag');
    }
  });

  it('reads boolean spellings', () => {
    expect(envBool('on')).toBe(true);
    expect(envBool('0')).toBe(false);
    expect(envBool(undefined)).toBeUndefined();
  });
});
