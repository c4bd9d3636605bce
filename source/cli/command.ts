/**
 * A command of the command line, declared as data: the help text and the argument parser are
 * both generated from these records, so `--help` never drifts from what is accepted.
 */
import {parseArgs} from 'node:util';
import type {Store} from '../core/store.js';
import {usageError} from '../core/errors.js';
import type {Output} from './output.js';

export interface OptionSpec {
	type: 'string' | 'boolean';
	/** Shown in the help: `--to GROUP`. */
	value?: string;
	description: string;
}

export interface CommandContext {
	/** Positional arguments after the command name. */
	args: string[];
	options: Record<string, string | boolean | undefined>;
	io: Output;
	env: NodeJS.ProcessEnv;
	/** Opened on first use: commands that do not need the store do not pay for it. */
	store(): Store;
}

export interface Command {
	/** `domain add`: words the user types, in order. */
	name: string;
	/** Positional arguments as shown in the help: `FILE.csv`. */
	args?: string;
	/** How many positional arguments: [min, max]. */
	arity: [number, number];
	summary: string;
	options?: Record<string, OptionSpec>;
	run(context: CommandContext): Promise<number>;
}

export function usageOf(command: Command): string {
	const options = Object.entries(command.options ?? {})
		.map(([name, spec]) => spec.type === 'string' ? `[--${name} ${spec.value ?? 'VALUE'}]` : `[--${name}]`)
		.join(' ');
	return ['massmail', command.name, command.args, options].filter(Boolean).join(' ');
}

export function helpOf(command: Command): string {
	const lines = [`Usage: ${usageOf(command)}`, '', command.summary];
	const options = Object.entries(command.options ?? {});
	if (options.length > 0) {
		lines.push('', 'Options:');
		const labels = options.map(([name, spec]) => spec.type === 'string' ? `--${name} ${spec.value ?? 'VALUE'}` : `--${name}`);
		const width = Math.max(...labels.map(label => label.length));
		for (const [index, [, spec]] of options.entries()) {
			lines.push(`  ${labels[index]!.padEnd(width)}  ${spec.description}`);
		}
	}

	return lines.join('\n');
}

/** Parses argv for one command; any mistake is a usage error (exit 2) that names it. */
export function parseCommandArgs(command: Command, argv: string[]): {args: string[]; options: Record<string, string | boolean | undefined>} {
	const options: Record<string, {type: 'string' | 'boolean'}> = {};
	for (const [name, spec] of Object.entries(command.options ?? {})) {
		options[name] = {type: spec.type};
	}

	let parsed;
	try {
		parsed = parseArgs({args: argv, options, allowPositionals: true, strict: true, tokens: true});
	} catch (error) {
		// Node's messages name the flag; drop its advice about '--' which does not apply here.
		const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/\.$/, '');
		throw usageError(`${message} (massmail ${command.name})`, `Usage: ${usageOf(command)}`);
	}

	// parseArgs keeps the last of a repeated value: `--to admins --to all` would go to everyone.
	const given = new Map<string, number>();
	for (const token of parsed.tokens) {
		if (token.kind === 'option' && options[token.name]?.type === 'string') {
			given.set(token.name, (given.get(token.name) ?? 0) + 1);
		}
	}

	const repeated = [...given].find(([, times]) => times > 1)?.[0];
	if (repeated !== undefined) {
		throw usageError(`--${repeated} is given more than once (massmail ${command.name}): give it once`, repeated === 'to' ? 'several domains go in one group: --to domain:a.com,b.org' : `Usage: ${usageOf(command)}`);
	}

	const [min, max] = command.arity;
	const args = parsed.positionals;
	if (args.length < min || args.length > max) {
		const what = args.length < min ? `missing ${command.args ?? 'argument'}` : `unexpected argument "${args[max]}"`;
		throw usageError(`${what} (massmail ${command.name})`, `Usage: ${usageOf(command)}`);
	}

	return {args, options: parsed.values as Record<string, string | boolean | undefined>};
}

/** A whole number flag, e.g. `--concurrency 10`; absent gives undefined. */
export function intOption(options: CommandContext['options'], name: string, {min = 0, max = Number.MAX_SAFE_INTEGER} = {}): number | undefined {
	const raw = options[name];
	if (raw === undefined || typeof raw === 'boolean') {
		return undefined;
	}

	if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
		const range = max === Number.MAX_SAFE_INTEGER ? (min > 0 ? ` of at least ${min}` : '') : ` from ${min} to ${max}`;
		throw usageError(`--${name} takes a whole number${range}, not "${raw}"`);
	}

	return Number(raw);
}

export function stringOption(options: CommandContext['options'], name: string): string | undefined {
	const raw = options[name];
	return typeof raw === 'string' ? raw : undefined;
}
