/**
 * What the official Adaptive Cards parser says about a card: the check Teams' own renderer
 * would make. Used by the tests of every card we post; cheap enough for a "send a test card" check.
 */
import { createRequire } from 'node:module';
import type * as AdaptiveCardsModule from 'adaptivecards';
import type { AdaptiveCardJson } from './teams-message.js';

// The package's `lib/` is ES modules without file extensions, which Node cannot load; its
// webpack bundle is CommonJS and parses without a DOM (it renders only when asked to).
const AdaptiveCards = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as typeof AdaptiveCardsModule;

/** Parse warnings (unknown element, bad value) and validation failures (missing url); empty when clean. */
export function adaptiveCardProblems(card: AdaptiveCardJson): string[] {
  const parsed = new AdaptiveCards.AdaptiveCard();
  const context = new AdaptiveCards.SerializationContext();
  parsed.parse(card, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i++) problems.push(`parse: ${context.getEventAt(i).message}`);
  for (const event of parsed.validateProperties().validationEvents) problems.push(`validate: ${event.message}`);
  return problems;
}
