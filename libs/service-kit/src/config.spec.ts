import { IsBoolean, IsInt, IsString, Max, Min } from 'class-validator';
import { ConfigError, Env, envBool, envSettings, validateConfig } from './config';

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

class BaseSettings {
  @Env('APP_NAME') @IsString() name = 'x';
}

class AppSettings extends BaseSettings {
  @Env('APP_PORT') @IsInt() port = 8080;
  @Env('APP_TAGS', (text) => text.split(',')) @IsString({ each: true }) tags: string[] = [];
}

describe('envSettings', () => {
  it('reads each @Env setting of the class and its bases from its variable, parsing where asked', () => {
    expect(envSettings(AppSettings, { APP_NAME: 'n', APP_PORT: '9', APP_TAGS: 'a,b', OTHER: 'o' })).toEqual({ port: '9', tags: ['a', 'b'], name: 'n' });
    expect(envSettings(AppSettings, {})).toEqual({ port: undefined, tags: undefined, name: undefined });
    expect(validateConfig(AppSettings, envSettings(AppSettings, { APP_PORT: '9' }))).toMatchObject({ name: 'x', port: 9, tags: [] });
  });
});
