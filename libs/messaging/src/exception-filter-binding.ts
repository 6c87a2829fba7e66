import 'reflect-metadata';
import { EXCEPTION_FILTERS_METADATA } from '@nestjs/common/constants';
import { PATTERN_HANDLER_METADATA } from '@nestjs/microservices/constants';
// Not re-exported by the package index.
import { PatternHandler } from '@nestjs/microservices/enums/pattern-handler.enum';
import type { ModulesContainer } from '@nestjs/core';
import { AmqpExceptionFilter } from './amqp-exception-filter';

const FILTER = new AmqpExceptionFilter();
const boundFor = new WeakSet<object>();

/**
 * Binds AmqpExceptionFilter to every `@EventPattern` handler of the app's controllers, as if it
 * had been declared with `@UseFilters` on the method.
 *
 * It must happen before Nest builds the handler proxies (registerListeners), which is why it runs
 * when the AmqpServer is attached to the app (the container's RPC target registry), not at
 * `listen()`. It is added first in the method's list, so a filter the author declared on the
 * method itself still takes precedence, and only once per method however many apps are built.
 */
export function bindExceptionFilter(modules: ModulesContainer, server: object): void {
  for (const moduleRef of modules.values()) {
    for (const wrapper of moduleRef.controllers.values()) {
      const proto = (wrapper.metatype as { prototype?: object } | null | undefined)?.prototype;
      if (!proto) continue;
      for (const name of methodNames(proto)) {
        const method = (proto as Record<string, unknown>)[name];
        if (typeof method !== 'function') continue;
        if (Reflect.getMetadata(PATTERN_HANDLER_METADATA, method) !== PatternHandler.EVENT) continue;
        const filters: unknown[] = Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, method) ?? [];
        if (filters.some((f) => f instanceof AmqpExceptionFilter)) continue;
        Reflect.defineMetadata(EXCEPTION_FILTERS_METADATA, [FILTER, ...filters], method);
      }
    }
  }
  boundFor.add(server);
}

export function isFilterBoundFor(server: object): boolean {
  return boundFor.has(server);
}

function methodNames(proto: object): string[] {
  const names = new Set<string>();
  for (let p: object | null = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name === 'constructor') continue;
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (d && typeof d.value === 'function') names.add(name);
    }
  }
  return [...names];
}
