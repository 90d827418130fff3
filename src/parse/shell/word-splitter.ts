import { isSpace } from './chars.js';

/** Accumulates words the way BuildKit does; a word that ends up empty (`""`) is dropped. */
export class WordSplitter {
  private readonly words: string[] = [];
  private current = '';

  /** An unquoted, unescaped character: whitespace ends the word. */
  addChar(ch: string): void {
    if (!isSpace(ch)) this.current += ch;
    else if (this.current !== '') this.flush();
  }

  /** Quoted or escaped text: taken as is, whitespace included. */
  addRaw(text: string): void {
    this.current += text;
  }

  /** The value of an unquoted `$` expansion: split like unquoted text. */
  addExpanded(text: string): void {
    for (const ch of text) this.addChar(ch);
  }

  finish(): string[] {
    if (this.current !== '') this.flush();
    return this.words;
  }

  private flush(): void {
    this.words.push(this.current);
    this.current = '';
  }
}
