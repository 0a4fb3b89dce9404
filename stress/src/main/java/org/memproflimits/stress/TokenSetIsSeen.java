package org.memproflimits.stress;

import org.memproflimits.Token;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZIZ_Result;

/**
 * A token set by one thread is seen set by another, with everything the setter wrote before
 * setting it (Token.set is a release, Token.isSet an acquire); and once set it stays set.
 * Result: (reader saw the token set, the plain field the reader saw, the token set at the end).
 */
@JCStressTest
@Description("Token.set in one thread publishes to Token.isSet in another")
@Outcome(id = "false, 0, true", expect = Expect.ACCEPTABLE, desc = "reader ran before the set")
@Outcome(id = "false, 1, true", expect = Expect.ACCEPTABLE, desc = "reader saw the write, not yet the set")
@Outcome(id = "true, 1, true", expect = Expect.ACCEPTABLE, desc = "reader saw the set and the write before it")
@Outcome(id = "true, 0, true", expect = Expect.FORBIDDEN, desc = "saw the token set but not the write made before set()")
@Outcome(expect = Expect.FORBIDDEN, desc = "the token is not set at the end")
@State
public class TokenSetIsSeen {
    final Token token = new Token();
    int x;

    @Actor
    public void setter() {
        x = 1;
        token.set();
    }

    @Actor
    public void reader(ZIZ_Result r) {
        r.r1 = token.isSet();
        r.r2 = x;
    }

    @Arbiter
    public void end(ZIZ_Result r) {
        r.r3 = token.isSet();
    }
}
