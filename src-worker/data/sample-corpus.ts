// The built-in sample corpus: seeded, procedurally written village stories (chapters, narration,
// dialogue) with enough repetition to learn quickly and enough combinations not to be a loop.

import { Rng } from '../util/rng';

export const DEFAULT_SAMPLE_BYTES = 300_000;

type Person = {
  name: string;
  role: string;
  subject: 'he' | 'she';
  object: 'him' | 'her';
  possessive: 'his' | 'her';
  /** What this person is seen doing at work, as an -ing phrase. */
  work: string[];
  home: string;
};

type Place = { name: string; at: string };
type Thing = { noun: string; adjectives: string[] };

const PEOPLE: Person[] = [
  person(
    'Mira',
    'baker',
    'she',
    ['baking bread', 'selling warm rolls', 'sweeping flour from the floor'],
    'bakery',
  ),
  person(
    'Tobin',
    'fisherman',
    'he',
    ['mending his nets', 'cleaning fish', 'painting his boat'],
    'cottage by the water',
  ),
  person(
    'Garrick',
    'miller',
    'he',
    ['grinding wheat', 'fixing the water wheel', 'carrying sacks of flour'],
    'mill house',
  ),
  person(
    'Elsa',
    'weaver',
    'she',
    ['weaving a blue cloth', 'spinning wool', 'dyeing yarn'],
    'house on the hill',
  ),
  person(
    'Pim',
    'shepherd',
    'he',
    ['counting his sheep', 'playing a little flute', 'looking for a lost lamb'],
    'hut',
  ),
  person(
    'Nell',
    'healer',
    'she',
    ['drying herbs', 'making tea for the sick', 'writing in her book'],
    'green house',
  ),
  person(
    'Arlo',
    'smith',
    'he',
    ['hammering a horseshoe', 'sharpening a knife', 'working the bellows'],
    'forge',
  ),
  person(
    'Rosa',
    'teacher',
    'she',
    ['reading to the children', 'writing on the slate', 'ringing the school bell'],
    'schoolhouse',
  ),
];

/** Where things happen, as said of being there; the place's name is that without the preposition. */
const PLACES: Place[] = [
  'at the mill',
  'in the harbor',
  'on the old bridge',
  'in the orchard',
  'at the lighthouse',
  'in the market square',
  'on the forest path',
  'on the river bank',
  'on the hill above the village',
  'by the well',
  'in the church tower',
  'in the meadow',
].map((at) => ({ name: at.slice(at.indexOf(' ') + 1), at }));

const THINGS: Thing[] = [
  { noun: 'lantern', adjectives: ['brass', 'old', 'small'] },
  { noun: 'kite', adjectives: ['blue', 'red', 'torn'] },
  { noun: 'basket of apples', adjectives: ['heavy', 'full', 'little'] },
  { noun: 'map', adjectives: ['old', 'folded', 'secret'] },
  { noun: 'key', adjectives: ['silver', 'rusty', 'tiny'] },
  { noun: 'loaf of bread', adjectives: ['warm', 'round', 'fresh'] },
  { noun: 'box', adjectives: ['wooden', 'painted', 'locked'] },
  { noun: 'letter', adjectives: ['long', 'sealed', 'strange'] },
  { noun: 'boat', adjectives: ['red', 'leaky', 'new'] },
  { noun: 'bell', adjectives: ['copper', 'cracked', 'bright'] },
  { noun: 'coat', adjectives: ['green', 'warm', 'patched'] },
  { noun: 'book', adjectives: ['thick', 'dusty', 'yellow'] },
  { noun: 'cup', adjectives: ['chipped', 'white', 'tin'] },
  { noun: 'rope', adjectives: ['long', 'strong', 'knotted'] },
];

const COUNTABLE = [
  'boats',
  'birds',
  'apples',
  'sheep',
  'candles',
  'stars',
  'houses',
  'children',
  'coins',
  'fish',
];
const NUMBER_WORDS = [
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
];
const TIMES = [
  'In the morning',
  'At dawn',
  'That evening',
  'Late in the afternoon',
  'When the bells rang at noon',
  'Three days later',
  'On the first day of spring',
  'Before breakfast',
  'After the rain',
  'The next day',
];
const DEADLINES = ['dark', 'noon', 'the rain comes', 'the bells ring', 'the market closes', 'supper'];
const WEATHER = [
  'The wind was cold and smelled of salt.',
  'Rain fell softly on the roofs.',
  'The sun was warm on the stones.',
  'A thick fog hung over the water.',
  'The sky was clear and very blue.',
  'Snow lay on the fields.',
  'Clouds moved quickly over the hills.',
];
const FEELINGS = ['happy', 'tired', 'worried', 'curious', 'proud', 'afraid', 'hungry', 'cheerful', 'sad'];
const MOVES = ['walked', 'ran', 'hurried', 'went', 'wandered'];
const TOPICS = [
  'the weather',
  'the old days',
  'the summer fair',
  'the boats in the harbor',
  'the price of flour',
  'a song they both knew',
  'the stars',
];
/** The narration sentence patterns of StoryWriter.sentence, by number. */
const SENTENCE_PATTERNS = Array.from({ length: 12 }, (_, i) => i);
const TITLE_ADJECTIVES = ['Lost', 'Hidden', 'Broken', 'Golden', 'Last', 'Secret', 'Little'];

function person(name: string, role: string, subject: 'he' | 'she', work: string[], home: string): Person {
  const object = subject === 'he' ? 'him' : 'her';
  const possessive = subject === 'he' ? 'his' : 'her';
  return { name, role, subject, object, possessive, work, home };
}

/**
 * Deterministic English-like text of about `targetBytes` (ASCII, so bytes = characters): stories
 * about a handful of villagers, each a "Chapter n: title" line and paragraphs of narration and
 * dialogue lines, separated by blank lines. Generation stops after the story that reaches the
 * target, so the text is a little longer and always ends with a complete paragraph.
 */
export function generateSampleCorpus(seed = 1, targetBytes = DEFAULT_SAMPLE_BYTES): string {
  if (!(Number.isInteger(targetBytes) && targetBytes >= 1)) {
    throw new RangeError(`Sample corpus size must be a whole number of bytes ≥ 1; got ${targetBytes}.`);
  }
  const writer = new StoryWriter(new Rng(seed));
  const chapters: string[] = [];
  let length = 0;
  for (let chapter = 1; length < targetBytes; chapter++) {
    const story = writer.story(chapter);
    chapters.push(story);
    length += story.length + 2;
  }
  return chapters.join('\n\n') + '\n';
}

/** One story's cast and props, so sentences within it refer to the same people and things. */
type Scene = { hero: Person; friend: Person; other: Person; place: Place; thing: Thing; adjective: string };

class StoryWriter {
  constructor(private readonly rng: Rng) {}

  story(chapter: number): string {
    const scene = this.scene();
    const paragraphs = [`Chapter ${chapter}: ${this.title(scene)}`];
    const count = 3 + this.rng.int(4);
    for (let p = 0; p < count; p++) {
      paragraphs.push(this.narration(scene));
      if (this.rng.uniform() < 0.6) paragraphs.push(this.dialogue(scene));
      // The action moves on: sometimes to a new place, sometimes to a new companion.
      if (this.rng.uniform() < 0.5) scene.place = this.pick(PLACES);
      if (this.rng.uniform() < 0.3) [scene.friend, scene.other] = [scene.other, scene.friend];
    }
    paragraphs.push(this.ending(scene));
    return paragraphs.join('\n\n');
  }

  private scene(): Scene {
    const cast = this.shuffled(PEOPLE);
    const thing = this.pick(THINGS);
    return {
      hero: cast[0],
      friend: cast[1],
      other: cast[2],
      place: this.pick(PLACES),
      thing,
      adjective: this.pick(thing.adjectives),
    };
  }

  private title({ hero, thing, adjective }: Scene): string {
    switch (this.rng.int(3)) {
      case 0:
        return titleCase(`the ${this.pick(TITLE_ADJECTIVES)} ${thing.noun}`);
      case 1:
        return titleCase(`${hero.name} and the ${adjective} ${thing.noun}`);
      default:
        return titleCase(`a day ${this.pick(PLACES).at}`);
    }
  }

  private narration(scene: Scene): string {
    const sentences = [this.opening(scene)];
    // Distinct sentence patterns within a paragraph, so it never repeats itself word for word.
    const patterns = this.shuffled(SENTENCE_PATTERNS).slice(0, 2 + this.rng.int(4));
    for (const pattern of patterns) sentences.push(this.sentence(scene, pattern));
    return sentences.join(' ');
  }

  private opening({ hero, place }: Scene): string {
    return this.rng.uniform() < 0.5
      ? `${this.pick(TIMES)}, ${hero.name} ${this.pick(MOVES)} to ${place.name}.`
      : `${this.pick(WEATHER)} ${hero.name} the ${hero.role} ${this.pick(MOVES)} to ${place.name}.`;
  }

  private sentence(s: Scene, pattern: number): string {
    const { hero, friend, other, place, thing, adjective } = s;
    const the = `the ${adjective} ${thing.noun}`;
    const He = capitalize(hero.subject);
    switch (pattern) {
      case 0:
        return `${He} was ${this.pick(FEELINGS)} because ${hero.possessive} ${thing.noun} was missing.`;
      case 1:
        return `${hero.name} found ${article(adjective)} ${adjective} ${thing.noun} ${place.at}.`;
      case 2:
        return `${He} gave ${the} to ${friend.name}, who ${this.pick([
          'smiled',
          `thanked ${hero.object}`,
          `put it under ${friend.possessive} arm`,
          'laughed out loud',
        ])}.`;
      case 3:
        return this.pick(WEATHER);
      case 4:
        return `${friend.name} the ${friend.role} was ${this.pick(friend.work)} ${place.at}.`;
      case 5:
        return `They sat together ${place.at} and talked about ${this.pick(TOPICS)}.`;
      case 6:
        return `There were ${this.pick(NUMBER_WORDS)} ${this.pick(COUNTABLE)} ${place.at}.`;
      case 7:
        return `${hero.name} paid ${2 + this.rng.int(48)} coins for ${article(adjective)} ${adjective} ${thing.noun}.`;
      case 8:
        return `${He} looked for ${the} ${this.pick(PLACES).at}, but it was not there.`;
      case 9:
        return `${other.name} said that ${other.subject} had seen ${the} near ${this.pick(PLACES).name}.`;
      case 10:
        return `${He} was ${this.pick(FEELINGS)}, and ${friend.name} was ${this.pick(FEELINGS)} too.`;
      default:
        return `The clock struck ${1 + this.rng.int(12)}, and ${hero.name} thought about ${friend.name}.`;
    }
  }

  private dialogue({ hero, friend, other, place, thing, adjective }: Scene): string {
    const asks = this.pick(['asked', 'said']);
    switch (this.rng.int(4)) {
      case 0:
        return [
          `"Good ${this.pick(['morning', 'evening', 'day'])}, ${friend.name}," said ${hero.name}. "Have you seen my ${thing.noun}?"`,
          this.rng.uniform() < 0.5
            ? `"I saw ${article(adjective)} ${adjective} ${thing.noun} ${this.pick(PLACES).at}," ${friend.name} said.`
            : `"No, but ${other.name} might know," ${friend.name} said. "Ask ${other.object} ${this.pick(PLACES).at}."`,
          `"Thank you," said ${hero.name}. "I will go there before ${this.pick(DEADLINES)}."`,
        ].join('\n');
      case 1:
        return [
          `"Where are you going, ${hero.name}?" ${asks} ${friend.name}.`,
          `"To ${this.pick(PLACES).name}," said ${hero.name}. "I need to find ${article(adjective)} ${adjective} ${thing.noun}."`,
        ].join('\n');
      case 2: {
        const yes = this.rng.uniform() < 0.6;
        return [
          `"Will you help me carry the ${thing.noun} to ${place.name}?" ${asks} ${hero.name}.`,
          yes
            ? `"Of course," said ${friend.name}. "Let us go before ${this.pick(DEADLINES)}."`
            : `"Not today," said ${friend.name}. "I am too ${this.pick(FEELINGS)}."`,
        ].join('\n');
      }
      default: {
        const what = this.pick(COUNTABLE);
        return [
          `"How many ${what} did you see ${place.at}?" ${asks} ${hero.name}.`,
          `"I saw ${this.pick(NUMBER_WORDS)}, maybe ${this.pick(NUMBER_WORDS)}," said ${friend.name}.`,
        ].join('\n');
      }
    }
  }

  private ending({ hero, friend, thing }: Scene): string {
    return this.rng.uniform() < 0.5
      ? `When the sun went down, ${hero.name} went home to ${hero.possessive} ${hero.home}. The ${thing.noun} was safe at last.`
      : `That night ${hero.name} wrote a letter to ${friend.name} about the ${thing.noun}, and then ${hero.subject} slept.`;
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.rng.int(items.length)];
  }

  private shuffled<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const SMALL_WORDS = new Set(['a', 'an', 'and', 'the', 'of', 'at', 'on', 'in', 'by', 'above']);

/** "the lost basket of apples" → "The Lost Basket of Apples". */
function titleCase(text: string): string {
  return text
    .split(' ')
    .map((word, i) => (i > 0 && SMALL_WORDS.has(word) ? word : capitalize(word)))
    .join(' ');
}

function article(word: string): 'a' | 'an' {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
