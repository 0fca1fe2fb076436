/**
 * zod for everything under functions/: its mini build, of which esbuild keeps in a Lambda bundle
 * only the parts the bundle uses (the classic `zod` API is one object it cannot split, about
 * 95 KiB in every bundle). Unlike the classic API, the mini build loads no locale, so each issue
 * would read "Invalid input" whatever went wrong; importing zod from here sets zod's English
 * messages, the ones tasks and users have always seen, before any schema parses (3 KiB a bundle).
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
