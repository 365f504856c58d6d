// Proves name normalisation: accents, case, punctuation and full-width forms fold away; legal forms in English, Russian and Chinese and honorifics are dropped and reported (only where they stand as legal forms, never from a person's name, never down to nothing); Chinese becomes pinyin with the given name joined; Cyrillic and Arabic become Latin, Arabic with a consonant skeleton.
import { describe, expect, it } from 'vitest';
import { consonantSkeleton, normalizeName } from '../../../src/aml/screening/match/normalize.ts';
import type { EntityType } from '../../../src/aml/screening/types.ts';

const texts = (name: string, type?: EntityType) =>
  normalizeName(name, type ? { type } : {}).tokens.map((t) => t.text);

describe('normalisation', () => {
  it('folds accents, case, punctuation, apostrophes and full-width letters', () => {
    expect(texts("José MÜLLER-Lüdenscheidt, O'Brien")).toEqual(['jose', 'muller', 'ludenscheidt', 'obrien']);
    expect(texts('ＪＯＨＮ　ＳＭＩＴＨ')).toEqual(['john', 'smith']);
    expect(texts('Łukasz Gößling')).toEqual(['lukasz', 'gossling']);
  });

  it('drops English legal forms at the end of an organisation name and says so', () => {
    const n = normalizeName('ACME TRADING CO., LTD.', { type: 'entity' });
    expect(n.tokens.map((t) => t.text)).toEqual(['acme', 'trading']);
    expect(n.dropped).toEqual([
      { word: 'CO', reason: 'legal_form' },
      { word: 'LTD', reason: 'legal_form' },
    ]);
    expect(texts('Siemens S.A.', 'entity')).toEqual(['siemens']);
    expect(texts('Acme Trading Company Limited', 'entity')).toEqual(['acme', 'trading']);
    expect(texts('Golden Star Holdings LLC', 'entity')).toEqual(['golden', 'star', 'holdings']);
    expect(texts('The Bank of Kunlun Corp', 'entity')).toEqual(['bank', 'kunlun']);
    expect(texts('ООО «Ромашка»', 'entity')).toEqual(['romashka']);
  });

  it('keeps legal-form words inside a name and in a person’s name, and never empties a name', () => {
    expect(texts('Atlantic Co Trading Ltd', 'entity')).toEqual(['atlantic', 'co', 'trading']);
    expect(texts('CO Van Thanh', 'individual')).toEqual(['co', 'van', 'thanh']);
    expect(texts('Limited', 'entity')).toEqual(['limited']);
  });

  it('drops Chinese legal forms (有限公司, 股份有限公司, 集团) and reads the rest as pinyin syllables', () => {
    const n = normalizeName('中国石油天然气集团有限公司', { type: 'entity' });
    expect(n.tokens.map((t) => t.text)).toEqual(['zhong', 'guo', 'shi', 'you', 'tian', 'ran', 'qi']);
    expect(n.dropped).toEqual([
      { word: '有限公司', reason: 'legal_form' },
      { word: '集团', reason: 'legal_form' },
    ]);
    expect(texts('中国石油天然气股份有限公司')).toEqual(texts('中国石油天然气集团有限公司'));
    expect(n.tokens.every((t) => t.script === 'Hani')).toBe(true);
  });

  it('drops honorifics and generational suffixes', () => {
    const n = normalizeName('Mr. John Smith Jr.');
    expect(n.tokens.map((t) => t.text)).toEqual(['john', 'smith']);
    expect(n.dropped.map((d) => d.reason)).toEqual(['honorific', 'suffix']);
    expect(texts('Sheikh Ahmad al-Tamimi')).toEqual(['ahmad', 'al', 'tamimi']);
    expect(texts('王伟先生')).toEqual(['wang', 'wei']);
  });

  it('writes a Chinese personal name as surname and joined given name, with compound surnames', () => {
    const n = normalizeName('习近平');
    expect(n.tokens.map((t) => [t.text, t.source])).toEqual([
      ['xi', '习'],
      ['jinping', '近平'],
    ]);
    expect(texts('欧阳修')).toEqual(['ouyang', 'xiu']);
    expect(texts('吕布')).toEqual(['lu', 'bu']);
  });

  it('transliterates Cyrillic and Arabic, keeping the source and script of each token', () => {
    const ru = normalizeName('Владимир Путин');
    expect(ru.tokens.map((t) => [t.text, t.source, t.script])).toEqual([
      ['vladimir', 'Владимир', 'Cyrl'],
      ['putin', 'Путин', 'Cyrl'],
    ]);
    expect(texts('أسامة بن لادن')).toEqual(['sm', 'bn', 'ldn']);
  });

  it('weighs particles and initials less than name words', () => {
    const n = normalizeName('J. Osama bin Laden');
    expect(n.tokens.map((t) => [t.text, t.weight])).toEqual([
      ['j', 0.5],
      ['osama', 1],
      ['bin', 0.3],
      ['laden', 1],
    ]);
  });

  it('reduces words to the consonant skeleton an abjad writes', () => {
    expect(consonantSkeleton('osama')).toBe('sm');
    expect(consonantSkeleton('usamah')).toBe('sm');
    expect(consonantSkeleton('hussein')).toBe('hsn');
    expect(consonantSkeleton('hsyn')).toBe('hsn');
    expect(consonantSkeleton('mohammed')).toBe('mhmd');
    expect(consonantSkeleton('yusuf')).toBe('ysf');
  });
});
