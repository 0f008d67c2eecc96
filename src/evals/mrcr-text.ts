import { readFile } from "node:fs/promises";
import type { Random } from "../random.js";
import { UsageError } from "../errors/acc-error.js";

/** Where the assistant turns of generated MRCR conversations come from. */
export interface ReplySource {
  /** A reply to "write a {format} about {topic}"; different draws give different texts. */
  reply(random: Random, format: string, topic: string): string;
}

/** The eight writing formats seen in the official rows (the card says there are ten; the other two are not public). */
export const MRCR_FORMATS = ["poem", "short essay", "email", "social media post", "song", "diary entry", "short news article", "blog post"] as const;

export const MRCR_TOPICS = [
  "tapirs", "horses", "records", "fields", "murder", "models", "colors", "weights", "education", "rivers", "lighthouses", "bread",
  "glaciers", "libraries", "bicycles", "owls", "markets", "storms", "gardens", "trains", "bridges", "coffee", "deserts", "islands",
  "clocks", "maps", "bees", "volcanoes", "letters", "mirrors", "forests", "kites", "harbors", "lanterns", "mountains", "violins",
  "comets", "salt", "wolves", "ferries", "orchards", "chess", "umbrellas", "tides", "foxes", "quilts", "telescopes", "canyons",
  "pianos", "rain", "cities", "whales", "candles", "deserts at night", "friendship", "memory", "winter", "autumn", "robots", "ships",
  "elections", "farming", "music", "silence", "courage", "family", "travel", "cooking", "science", "history", "oceans", "stars",
] as const;

const ADJECTIVES = [
  "quiet", "golden", "restless", "ancient", "gentle", "bright", "hollow", "patient", "distant", "tangled", "silver", "humble",
  "stubborn", "weathered", "luminous", "careful", "wild", "tender", "forgotten", "curious", "heavy", "brittle", "warm", "endless",
];
const NOUNS = [
  "morning", "road", "window", "harvest", "river", "promise", "shadow", "season", "doorway", "letter", "garden", "evening",
  "horizon", "lantern", "journey", "question", "memory", "village", "mountain", "threshold", "rhythm", "echo", "orchard", "harbor",
];
const VERBS = ["waits", "wanders", "remembers", "gathers", "listens", "returns", "lingers", "rises", "whispers", "shelters", "carries", "turns"];
const PLACES = ["beyond the hills", "under the old bridge", "in the early light", "along the shore", "at the edge of town", "through the long winter"];
const NAMES = ["Alex", "Priya", "Jordan", "Mei", "Samuel", "Ines", "Tomas", "Ada", "Noor", "Felix", "Lena", "Omar"];
const CONNECTIVES = ["Yet", "Still", "And so", "Meanwhile", "In the end", "Even now", "Perhaps", "Above all"];

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function sentence(random: Random, topic: string): string {
  const a = random.pick(ADJECTIVES);
  const n = random.pick(NOUNS);
  const v = random.pick(VERBS);
  const p = random.pick(PLACES);
  switch (random.int(0, 5)) {
    case 0:
      return `The ${a} ${n} ${v} ${p}, and the ${topic} ${v} with it.`;
    case 1:
      return `${random.pick(CONNECTIVES)}, every ${n} of ${topic} ${v} ${p}.`;
    case 2:
      return `${capitalize(topic)} teach us that a ${a} ${n} is never only ${random.pick(ADJECTIVES)}.`;
    case 3:
      return `Ask anyone ${p} about ${topic}, and they will speak of a ${a} ${n}.`;
    case 4:
      return `There is a ${a} kind of ${n} in ${topic} that ${v} long after we leave.`;
    default:
      return `We found the ${n} ${p}, ${a} and unafraid, as ${topic} always are.`;
  }
}

function paragraph(random: Random, topic: string, sentences: number): string {
  return Array.from({ length: sentences }, () => sentence(random, topic)).join(" ");
}

function line(random: Random, topic: string): string {
  return `${capitalize(random.pick(ADJECTIVES))} ${random.pick(NOUNS)} of ${topic}, ${random.pick(PLACES)}`;
}

function title(random: Random, topic: string): string {
  return `${capitalize(random.pick(ADJECTIVES))} ${capitalize(random.pick(NOUNS))}s and ${capitalize(topic)}`;
}

function paragraphs(random: Random, topic: string, count: number, sentences: [number, number]): string[] {
  return Array.from({ length: count }, () => paragraph(random, topic, random.int(sentences[0], sentences[1])));
}

/**
 * A built-in source that needs no model: short pieces shaped like each format (stanzas, verses and a
 * chorus, a subject line and a signature, a headline, hashtags …) written from small word lists.
 */
export const builtinReplies: ReplySource = {
  reply(random, format, topic) {
    switch (format) {
      case "poem":
        return `**${title(random, topic)}**\n\n${Array.from({ length: random.int(3, 5) }, () =>
          Array.from({ length: 4 }, () => line(random, topic)).join(",\n"),
        ).join(".\n\n")}.`;
      case "song": {
        const chorus = Array.from({ length: 4 }, () => line(random, topic)).join("\n");
        const verses = Array.from({ length: random.int(2, 3) }, (_, i) => `**Verse ${i + 1}**\n${Array.from({ length: 4 }, () => line(random, topic)).join("\n")}`);
        return verses.map((verse) => `${verse}\n\n**Chorus**\n${chorus}`).join("\n\n");
      }
      case "email": {
        const body = paragraphs(random, topic, random.int(2, 4), [2, 4]).join("\n\n");
        return `Subject: A note about ${topic}\n\nDear ${random.pick(NAMES)},\n\n${body}\n\nBest regards,\n${random.pick(NAMES)}`;
      }
      case "social media post":
        return `${paragraph(random, topic, random.int(2, 4))} #${topic.replaceAll(" ", "")} #${random.pick(NOUNS)}`;
      case "diary entry":
        return `Dear Diary,\n\n${paragraphs(random, topic, random.int(2, 4), [3, 5]).join("\n\n")}\n\nUntil tomorrow.`;
      case "short news article":
        return `**${title(random, topic)}**\n\n${capitalize(random.pick(NOUNS))}ville — ${paragraphs(random, topic, random.int(3, 5), [2, 4]).join("\n\n")}`;
      case "blog post":
        return `# ${title(random, topic)}\n\n${paragraphs(random, topic, random.int(3, 5), [3, 5]).join("\n\n")}`;
      default:
        return `**${title(random, topic)}**\n\n${paragraphs(random, topic, random.int(3, 5), [4, 6]).join("\n\n")}`;
    }
  },
};

/**
 * Replies cut from a text the user points at: runs of consecutive paragraphs (blank-line separated)
 * of 400–2,500 characters, starting at a random paragraph. The text need not match the ask.
 */
export async function textFileReplies(path: string): Promise<ReplySource> {
  const pieces = (await readFile(path, "utf8"))
    .split(/\r?\n[ \t]*\r?\n/)
    .map((piece) => piece.trim())
    .filter((piece) => piece !== "");
  if (pieces.length === 0) throw new UsageError(`${path}: no paragraphs to build replies from (the file is empty or blank)`);
  return {
    reply(random) {
      const wanted = random.int(400, 2500);
      const chosen: string[] = [];
      let length = 0;
      for (let i = random.int(0, pieces.length - 1); i < pieces.length && length < wanted; i++) {
        chosen.push(pieces[i]!);
        length += pieces[i]!.length + 2;
      }
      return chosen.join("\n\n");
    },
  };
}
