import { describe, expect, it } from "vitest";
import { hammingDistance, LanguageGuesser, SimHasher, simhashBands } from "../../src/pipeline/analyze";
import { cuts, int, rng, splitAt } from "./random";

const SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "de", "po", "an", "el", "qu", "zo", "ber", "tin"];

/** `count` pseudo-words, with punctuation and line breaks, from a seeded PRNG. */
function words(seed: number, count: number): string[] {
  const r = rng(seed);
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    let w = "";
    for (let s = int(r, 1, 4); s > 0; s--) w += SYLLABLES[int(r, 0, SYLLABLES.length - 1)];
    out.push(r() < 0.1 ? `${w}.` : r() < 0.05 ? `${w}\n\n` : w);
  }
  return out;
}

function simhash(text: string): string {
  return new SimHasher().update(text).digest();
}

function sharesBand(a: string, b: string): boolean {
  const ba = simhashBands(a);
  return simhashBands(b).some((band, k) => band === ba[k]);
}

describe("SimHasher", () => {
  it("gives near-duplicates (4 of 2000 words changed) a small distance and usually a shared band", () => {
    // SimHash is statistical: a changed shingle can flip a bit whose vote was close to zero.
    const distances: number[] = [];
    let shared = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const base = words(seed, 2000);
      const edited = [...base];
      const r = rng(seed + 1000);
      for (let k = 0; k < 4; k++) edited[int(r, 0, edited.length - 1)] = "changed";
      const a = simhash(base.join(" "));
      const b = simhash(edited.join(" "));
      distances.push(hammingDistance(a, b));
      if (sharesBand(a, b)) shared++;
      if (hammingDistance(a, b) <= 3) expect(sharesBand(a, b)).toBe(true);
    }
    const mean = distances.reduce((x, y) => x + y, 0) / distances.length;
    expect(mean).toBeLessThanOrEqual(3);
    expect(Math.max(...distances)).toBeLessThanOrEqual(8);
    expect(shared).toBeGreaterThanOrEqual(45);
  });

  it("ignores case, punctuation and whitespace differences", () => {
    const text = words(3, 500).join(" ");
    expect(simhash(text.toUpperCase().replace(/ /g, " ,\n "))).toBe(simhash(text));
  });

  it("gives unrelated texts a large distance", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const a = simhash(words(seed, 2000).join(" "));
      const b = simhash(words(seed + 500, 2000).join(" "));
      expect(hammingDistance(a, b)).toBeGreaterThan(15);
    }
  });

  it("does not depend on how the text is split or checkpointed", () => {
    const r = rng(9);
    const samples = [
      words(4, 800).join(" "),
      "中文字符测试。日本語のテキスト！한국어 mixed with English words 😀 and ÜBER straße",
      `${"x".repeat(200)} tail words here`,
      "one",
      "two words",
      "",
    ];
    for (const text of samples) {
      const expected = simhash(text);
      expect(expected).toMatch(/^[0-9a-f]{16}$/);
      for (let round = 0; round < 30; round++) {
        let h = new SimHasher();
        for (const part of splitAt(text, cuts(r, text.length, int(r, 1, 30)))) {
          h.update(part);
          if (r() < 0.5) h = SimHasher.fromState(JSON.parse(JSON.stringify(h.toState())));
        }
        expect(h.digest()).toBe(expected);
      }
    }
  });
});

describe("hammingDistance and simhashBands", () => {
  it("counts differing bits", () => {
    expect(hammingDistance("0000000000000000", "0000000000000000")).toBe(0);
    expect(hammingDistance("ffffffffffffffff", "0000000000000000")).toBe(64);
    expect(hammingDistance("8000000000000001", "0000000000000000")).toBe(2);
  });

  it("splits a hash into four 4-hex bands", () => {
    expect(simhashBands("0123456789abcdef")).toEqual(["0123", "4567", "89ab", "cdef"]);
  });
});

const SAMPLES: Record<string, string> = {
  en: "The quick brown fox jumps over the lazy dog. It was the best of times, and it was the worst of times, for all of the people who were there with them.",
  de: "Der schnelle braune Fuchs springt über den faulen Hund. Es ist nicht so, dass wir die Arbeit nicht machen wollen, aber sie wird auch von den anderen gemacht.",
  fr: "Le renard brun rapide saute par-dessus le chien paresseux. Il est important que les enfants aient accès à une éducation de qualité dans les écoles pour leur avenir.",
  es: "El rápido zorro marrón salta sobre el perro perezoso. Es importante que los niños tengan acceso a una educación de calidad en las escuelas para su futuro.",
  it: "La volpe veloce salta sopra il cane pigro. È importante che i bambini abbiano accesso a una istruzione di qualità nelle scuole, per il loro futuro e per gli altri.",
  pt: "A rápida raposa marrom pula sobre o cão preguiçoso. É importante que as crianças tenham acesso a uma educação de qualidade nas escolas para o seu futuro, não é?",
  nl: "De snelle bruine vos springt over de luie hond. Het is belangrijk dat kinderen toegang hebben tot goed onderwijs op school, want het is voor hun toekomst niet te missen.",
  ru: "Быстрая коричневая лиса прыгает через ленивую собаку. Это очень важно для всех детей в школе.",
  uk: "Швидка руда лисиця перестрибує через ледачого собаку. Це дуже важливо для всіх дітей у школі, і її їжа є смачною.",
  el: "Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο. Αυτό είναι πολύ σημαντικό.",
  ar: "الثعلب البني السريع يقفز فوق الكلب الكسول. هذا مهم جدا لجميع الأطفال في المدرسة.",
  he: "השועל החום המהיר קופץ מעל הכלב העצלן. זה חשוב מאוד לכל הילדים בבית הספר.",
  hi: "तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है। यह सभी बच्चों के लिए बहुत महत्वपूर्ण है।",
  zh: "敏捷的棕色狐狸跳过了那只懒狗。这对学校里的所有孩子来说都非常重要。我们应该努力学习。",
  ja: "素早い茶色の狐は怠け者の犬を飛び越える。これは学校のすべての子供たちにとってとても大切です。",
  ko: "빠른 갈색 여우가 게으른 개를 뛰어넘는다. 이것은 학교의 모든 아이들에게 매우 중요합니다.",
};

describe("LanguageGuesser", () => {
  it("guesses the language of sample paragraphs", () => {
    for (const [lang, text] of Object.entries(SAMPLES)) {
      expect({ lang, guess: new LanguageGuesser().update(text).guess() }).toEqual({ lang, guess: lang });
    }
  });

  it("returns null when unsure", () => {
    expect(new LanguageGuesser().guess()).toBeNull();
    expect(new LanguageGuesser().update("12345 67890 !!!").guess()).toBeNull();
    expect(new LanguageGuesser().update("Xylophone zebra quartz jukebox vortex").guess()).toBeNull();
  });

  it("does not depend on splitting and samples only the start", () => {
    const r = rng(11);
    const text = Object.values(SAMPLES).join("\n");
    for (let round = 0; round < 20; round++) {
      let g = new LanguageGuesser();
      for (const part of splitAt(text, cuts(r, text.length, int(r, 1, 40)))) {
        g.update(part);
        if (r() < 0.5) g = LanguageGuesser.fromState(JSON.parse(JSON.stringify(g.toState())));
      }
      expect(g.toState()).toEqual(new LanguageGuesser().update(text).toState());
    }
    const long = SAMPLES.de!.repeat(2000) + SAMPLES.en!.repeat(4000);
    expect(new LanguageGuesser().update(long).guess()).toBe("de");
  });
});
