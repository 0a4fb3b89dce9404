package org.memproflimits.stress;

import java.util.concurrent.locks.LockSupport;
import org.memproflimits.Token;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IZZ_Result;

/**
 * A task parked under limitWithToken (it allocates nothing, so only the token's wake-up can end
 * it early): the wake-up's interrupt status never outlives the limit function. Result: (outcome,
 * the token seen set after the call, the interrupt status after the call).
 */
@JCStressTest
@Description("A token's wake-up of a parked task leaves no interrupt status behind")
@Outcome(id = "0, false, false", expect = Expect.ACCEPTABLE, desc = "the task ended before the set")
@Outcome(id = "0, true, false", expect = Expect.ACCEPTABLE, desc = "set after the task ended")
@Outcome(id = "1, true, false", expect = Expect.ACCEPTABLE_INTERESTING, desc = "woken and interrupted by the token")
@Outcome(id = "3, true, false", expect = Expect.ACCEPTABLE, desc = "set before the task started: it did not run")
@Outcome(id = "[13], false, .*", expect = Expect.FORBIDDEN, desc = "Interrupted while the token is not set")
@Outcome(id = ".*, .*, true", expect = Expect.FORBIDDEN, desc = "the interrupt status was left set")
@Outcome(expect = Expect.FORBIDDEN, desc = "another outcome")
@State
public class TokenWakesParkedTask {
    final Token token = new Token();

    @Actor
    public void setter() {
        Work.delay();
        token.set();
    }

    @Actor
    public void task(IZZ_Result r) {
        Work.underToken(token, () -> {
            LockSupport.parkNanos(20_000);
            return 0;
        }, r);
    }
}
