package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.memproflimits.userland.Userland;
import org.memproflimits.userland.fragile.FragileLibrary;

/**
 * {@link Masking#maskPackage}: no interrupt arises while a frame of a masked package is on the
 * stack - at a sample, a checkpoint or a wake-up - and the one that is due arises once the
 * thread has left it. Every expectation is deterministic except where stated.
 */
class MaskedPackageTest {
    private static final String FRAGILE = "org.memproflimits.userland.fragile";

    @BeforeEach
    void mask() {
        assertTrue(Masking.maskPackage(FRAGILE));
    }

    @AfterEach
    void unmask() {
        Masking.unmaskPackage(FRAGILE);
    }

    @Test
    void noInterruptArisesInsideAMaskedPackageAndTheDueOneArisesAfter() {
        // 64 MiB inside the package = 512 samples at the 128 KiB default, none of which may
        // raise; after it, 64 MiB outside: the interrupt arises at its first sample unless
        // none falls there, e^-512 (false failure).
        Token token = new Token();
        AtomicLong inside = new AtomicLong();
        AtomicBoolean after = new AtomicBoolean();
        Result<Long> r = MemprofLimits.limitWithToken(token, () -> {
            token.set();
            inside.set(FragileLibrary.churn(64L << 20));
            Userland.churn(64L << 20, 1024);
            after.set(true);
            return 0L;
        });
        assertEquals(Limit.TOKEN, assertInstanceOf(Result.Interrupted.class, r).limit());
        assertEquals(64L << 20, inside.get(), "interrupted inside the masked package");
        assertFalse(after.get());
    }

    @Test
    void aCheckpointInsideAMaskedPackageDefers() {
        Token token = new Token();
        AtomicBoolean passed = new AtomicBoolean();
        Result<String> r = MemprofLimits.limitWithToken(token, () -> {
            token.set();
            passed.set(FragileLibrary.checkpoint());
            MemprofLimits.checkpoint();
            return "not interrupted";
        });
        assertEquals(Limit.TOKEN, assertInstanceOf(Result.Interrupted.class, r).limit());
        assertTrue(passed.get(), "the checkpoint inside the masked package raised");
    }

    @Test
    void aThreadBlockedInsideAMaskedPackageIsNotWoken() {
        Token token = new Token();
        AtomicBoolean sleptToTheEnd = new AtomicBoolean();
        Result<String> r = MemprofLimits.limitWithToken(token, () -> {
            Thread setter = new Thread(token::set);
            setter.start();
            sleptToTheEnd.set(FragileLibrary.sleep(300));   // the token is set meanwhile
            Userland.churn(64L << 20, 1024);                 // e^-512: as above
            return "not interrupted";
        });
        assertEquals(Limit.TOKEN, assertInstanceOf(Result.Interrupted.class, r).limit());
        assertTrue(sleptToTheEnd.get(), "the waker interrupted a sleep inside the masked package");
    }

    @Test
    void packagesAreAddedRemovedAndListed() {
        assertFalse(Masking.maskPackage(FRAGILE), "masked twice");
        assertTrue(Masking.maskedPackages().contains(FRAGILE));
        assertTrue(Masking.unmaskPackage(FRAGILE));
        assertFalse(Masking.unmaskPackage(FRAGILE));
        assertFalse(Masking.maskedPackages().contains(FRAGILE));
        assertThrows(UnsupportedOperationException.class, () -> Masking.maskedPackages().add("x"));
    }

    @Test
    void aNameThatIsNotAPackageIsRejected() {
        for (String bad : new String[] {null, "", "org..h2", "org.h2.", ".org", "1org", "org.h-2", "org h2"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Masking.maskPackage(bad),
                    String.valueOf(bad));
            assertTrue(e.getMessage().startsWith("packageName must be"), e.getMessage());
        }
    }
}
