import { ParameterSchemaValidator } from '@attune/contracts';
import type { ActionEntity } from '@attune/persistence';
import { Injectable } from '@nestjs/common';

/**
 * Checks execution parameters against the action's JSON Schema and fills in defaults.
 * A thin wrapper over the shared ParameterSchemaValidator (libs/contracts), which the executor
 * uses too; compiled validators are cached per action version (id + updated).
 */
@Injectable()
export class ParameterValidator {
  private readonly validator = new ParameterSchemaValidator();

  validate(action: ActionEntity, parameters: Record<string, unknown>): Record<string, unknown> {
    return this.validator.validate(action.paramSchema, parameters, `parameters do not match the schema of ${action.ref}`, {
      cacheKey: `action:${action.id}:${new Date(action.updated).getTime()}`,
      // A parameter the schema does not declare is refused (unless it sets additionalProperties).
      rejectUndeclared: true,
    });
  }
}
