/**
 * What an owner may edit on a video (PATCH /api/videos/:id): title, description and tags, as
 * display text, and its visibility. Validated here, once, so the repository stores only clean values.
 */
import { z } from 'zod';
import { VIDEO_VISIBILITIES } from '../db/schema.js';
import { titleSchema } from './video-intake.js';

export const MAX_DESCRIPTION_CHARS = 5000;
export const MAX_TAGS = 20;
export const MAX_TAG_CHARS = 40;

// PostgreSQL refuses NUL in text and the rest are invisible in a page: display text has none.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
// A description is prose: tabs and line breaks are its only control characters.
const CONTROL_CHARACTERS_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

const tagSchema = z
  .string()
  .trim()
  .min(1, `a tag has 1 to ${MAX_TAG_CHARS} characters`)
  .max(MAX_TAG_CHARS, `a tag has 1 to ${MAX_TAG_CHARS} characters`)
  .refine((tag) => !CONTROL_CHARACTERS.test(tag), 'a tag may not contain control characters');

/** Tags in the order given, the first spelling kept of those equal but for case ("Cats", "cats"). */
export const tagsSchema = z
  .array(tagSchema)
  .max(MAX_TAGS, `at most ${MAX_TAGS} tags`)
  .transform((tags) => {
    const seen = new Set<string>();
    return tags.filter((tag) => {
      const key = tag.toLowerCase();
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  });

export const videoDetailsSchema = z
  .strictObject({
    title: titleSchema.optional(),
    description: z
      .string()
      .trim()
      .max(MAX_DESCRIPTION_CHARS, `at most ${MAX_DESCRIPTION_CHARS} characters`)
      .refine((text) => !CONTROL_CHARACTERS_BUT_LINE_BREAKS.test(text), 'no control characters but tabs and line breaks')
      .optional(),
    tags: tagsSchema.optional(),
    visibility: z.enum(VIDEO_VISIBILITIES, { error: `one of ${VIDEO_VISIBILITIES.join(', ')}` }).optional(),
  })
  .refine((details) => Object.keys(details).length > 0, 'send at least one of title, description, tags, visibility');

export type VideoDetailsInput = z.output<typeof videoDetailsSchema>;

/** The body's problems in one line, each prefixed by its field: "tags.2: a tag has 1 to 40 characters". */
export function describeDetailsProblems(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
