// The rule checker's messages in both languages: known forms are said in the dictionary's words with the names filled in, unknown ones stay as the server wrote them; a marked token covers the whole name or operator at its column.
import { describe, expect, it } from 'vitest';
import { makeI18n } from '../../i18n/index.tsx';
import { tokenLength } from './CelEditor.tsx';
import { issueText } from './issues.ts';

describe('checker messages', () => {
  const en = makeI18n('en');
  const zh = makeI18n('zh-CN');

  it('says known forms in the user’s language', () => {
    const compare = "cannot compare int with string using '>'";
    expect(issueText(en, compare)).toBe(compare);
    expect(issueText(zh, compare)).toBe("不能用 '>' 比较 int 和 string");
    const feature = "unknown feature 'features.payee.isNewish'; did you mean 'isNew'?";
    expect(issueText(en, feature)).toBe(feature);
    expect(issueText(zh, feature)).toBe("未知特征 'features.payee.isNewish'；是否想用 'isNew'？");
    expect(issueText(zh, "'(' is never closed")).toBe("'(' 没有闭合");
    expect(issueText(zh, "'=' is not an operator; compare with '=='")).toBe("'=' 不是运算符；比较请用 '=='");
  });

  it('shows anything else as the server wrote it', () => {
    expect(issueText(zh, 'the expression is nested too deeply')).toBe('the expression is nested too deeply');
  });
});

describe('marked tokens', () => {
  it('covers a name, an operator or a string from the column', () => {
    const line = "  && amount > '5000 CNY' && features.payee.isNewish";
    expect(tokenLength(line, line.indexOf('>'))).toBe(1);
    expect(tokenLength(line, line.indexOf('&&'))).toBe(2);
    expect(tokenLength(line, line.indexOf('amount'))).toBe('amount'.length);
    expect(tokenLength(line, line.indexOf("'"))).toBe("'5000 CNY'".length);
    expect(tokenLength(line, line.indexOf('isNewish'))).toBe('isNewish'.length);
    expect(tokenLength(line, line.length)).toBe(0);
  });
});
