import {
  isIdle,
  mustDeleteCookie,
  mustDeleteRow,
  mustReadAtEnd,
  mustSave,
  mustSetCookie,
  varies,
  type RequestFacts,
  type SessionFacts,
} from './session-policy.js';

const KEY = 'a'.repeat(32);
const request = (facts: Partial<RequestFacts> = {}): RequestFacts => ({
  cookieSent: true,
  cookieWellFormed: true,
  saveEveryRequest: false,
  ...facts,
});
const session = (facts: Partial<SessionFacts> = {}): SessionFacts => ({
  empty: false,
  changed: false,
  key: KEY,
  rowKey: KEY,
  touchDue: true,
  cookieBehind: false,
  renewDue: false,
  ...facts,
});

describe("the response policy (Django's SessionMiddleware)", () => {
  describe('Vary: Cookie', () => {
    it('is sent when the session was read', () => expect(varies(session())).toBe(true));
    it('is not sent when it was never read', () => expect(varies(undefined)).toBe(false));
  });

  describe('saving', () => {
    it('saves a modified session', () => expect(mustSave(request(), session({ changed: true }), 200)).toBe(true));
    it('does not save an unmodified one', () => expect(mustSave(request(), session(), 200)).toBe(false));
    it('saves an unmodified one when every request saves', () => {
      expect(mustSave(request({ saveEveryRequest: true }), session(), 200)).toBe(true);
    });
    it('never saves an empty session, modified or not', () => {
      expect(
        mustSave(request({ saveEveryRequest: true }), session({ empty: true, changed: true, key: null }), 200),
      ).toBe(false);
    });
    it('does not save for a 5xx response, but does for a 4xx', () => {
      expect(mustSave(request(), session({ changed: true }), 500)).toBe(false);
      expect(mustSave(request(), session({ changed: true }), 503)).toBe(false);
      expect(mustSave(request(), session({ changed: true }), 404)).toBe(true);
    });
  });

  describe('reading at the end', () => {
    it('reads a session no one read when every request saves and the cookie is a key', () => {
      expect(mustReadAtEnd(request({ saveEveryRequest: true }))).toBe(true);
    });
    it('does not otherwise', () => {
      expect(mustReadAtEnd(request())).toBe(false);
      expect(mustReadAtEnd(request({ saveEveryRequest: true, cookieSent: false }))).toBe(false);
      expect(mustReadAtEnd(request({ saveEveryRequest: true, cookieWellFormed: false }))).toBe(false);
    });
  });

  describe('the row', () => {
    it("deletes a flushed session's row, whatever the status", () => {
      expect(mustDeleteRow(session({ key: null, empty: true }))).toBe(true);
    });
    it('leaves a cycled key to the save (which moves the row)', () => {
      expect(mustDeleteRow(session({ key: 'b'.repeat(32) }))).toBe(false);
    });
    it('has nothing to delete for a session that never had a row', () => {
      expect(mustDeleteRow(session({ key: null, rowKey: null, empty: true }))).toBe(false);
    });
  });

  describe('the cookie', () => {
    it('deletes a cookie that is no key at all, even unread', () => {
      expect(mustDeleteCookie(request({ cookieWellFormed: false }), undefined)).toBe(true);
    });
    it('deletes the cookie of a session that ended empty (unknown, expired, flushed)', () => {
      expect(mustDeleteCookie(request(), session({ empty: true, key: null }))).toBe(true);
    });
    it('keeps the cookie of a session with data, and of an unread one with a well-formed key', () => {
      expect(mustDeleteCookie(request(), session())).toBe(false);
      expect(mustDeleteCookie(request(), undefined)).toBe(false);
    });
    it('has no cookie to delete when the request sent none', () => {
      expect(mustDeleteCookie(request({ cookieSent: false }), session({ empty: true, key: null }))).toBe(false);
    });
    it('a bad cookie whose request then saved a new session gets that session, not a deletion', () => {
      const fresh = session({ key: 'c'.repeat(32), rowKey: null, changed: true });
      expect(mustDeleteCookie(request({ cookieWellFormed: false }), fresh)).toBe(false);
      expect(mustSetCookie(request({ cookieWellFormed: false }), fresh, true)).toBe(true);
    });
    it('sends the cookie again after a save, and only then', () => {
      expect(mustSetCookie(request(), session({ changed: true }), true)).toBe(true);
      expect(mustSetCookie(request(), session({ changed: true }), false)).toBe(false);
    });
  });

  describe('nothing to do', () => {
    it('for a request with no cookie that never read its session', () => {
      expect(isIdle(request({ cookieSent: false }), undefined, 200)).toBe(true);
    });
    it('for a read that changed nothing', () => expect(isIdle(request(), session(), 200)).toBe(true));
    it('but not for a write, a logout or a bad cookie', () => {
      expect(isIdle(request(), session({ changed: true }), 200)).toBe(false);
      expect(isIdle(request(), session({ key: null, empty: true }), 200)).toBe(false);
      expect(isIdle(request({ cookieWellFormed: false }), undefined, 200)).toBe(false);
    });
    it('for a write answered with a 5xx', () => expect(isIdle(request(), session({ changed: true }), 500)).toBe(true));
  });
});

describe('touchAfter', () => {
  const rolling = request({ saveEveryRequest: true });
  it('refreshes an unchanged session only when its refresh is due', () => {
    expect(mustSave(rolling, session({ touchDue: true }), 200)).toBe(true);
    expect(mustSave(rolling, session({ touchDue: false }), 200)).toBe(false);
    expect(isIdle(rolling, session({ touchDue: false }), 200)).toBe(true);
  });

  it('always saves a changed session', () => {
    expect(mustSave(rolling, session({ changed: true, touchDue: false }), 200)).toBe(true);
  });
});
