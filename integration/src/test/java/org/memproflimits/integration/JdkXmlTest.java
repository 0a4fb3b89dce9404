package org.memproflimits.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.Templates;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.stream.StreamResult;
import javax.xml.transform.stream.StreamSource;
import org.junit.jupiter.api.Test;
import org.memproflimits.Allocated;
import org.memproflimits.Limit;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.w3c.dom.Document;

/**
 * The JDK's own XML stack: a DOM parser fed an endless document, and XSLTC, which compiles each
 * stylesheet to classes and loads them, interrupted anywhere; the parser and the factory are then
 * used again.
 */
class JdkXmlTest {
    static final String SMALL = "<order id='7'><line sku='A' qty='2'/><line sku='B' qty='5'/></order>";
    static final String XSL = "<xsl:stylesheet version='1.0' xmlns:xsl='http://www.w3.org/1999/XSL/Transform'>"
            + "<xsl:output method='text'/>"
            + "<xsl:template match='/order'>order <xsl:value-of select='@id'/>: <xsl:for-each select='line'>"
            + "<xsl:value-of select='@sku'/>x<xsl:value-of select='@qty'/><xsl:text> </xsl:text></xsl:for-each>"
            + "total <xsl:value-of select='sum(line/@qty)'/></xsl:template></xsl:stylesheet>";

    @Test
    void anEndlessDocumentIsStoppedByEachLimitAndTheParserParsesTheNext() throws Exception {
        DocumentBuilder parser = DocumentBuilderFactory.newInstance().newDocumentBuilder();
        Result<Allocated<Document>> endless = MemprofLimits.limitAllocations(64L << 20,
                () -> parser.parse(Endless.repeating("<root>", "<item a='1' b='two'>some text</item>")));
        assertEquals(Limit.ALLOCATIONS, ((Result.Interrupted<?>) endless).limit(), Endless.describe(endless));
        assertParsesTheNext(parser);

        // The DOM keeps every element read: the heap fills.
        GlobalLimit.stop("JDK DOM parser: a document that never ends",
                () -> parser.parse(Endless.repeating("<root>", "<item a='1' b='two'>some text</item>")));
        assertParsesTheNext(parser);

        Result<Document> byToken = MemprofLimits.limitWithToken(Endless.setAfter(100),
                () -> parser.parse(Endless.repeating("<root>", "<item a='1' b='two'>some text</item>")));
        assertEquals(Limit.TOKEN, ((Result.Interrupted<?>) byToken).limit(), Endless.describe(byToken));
        assertParsesTheNext(parser);
    }

    private static void assertParsesTheNext(DocumentBuilder parser) throws Exception {
        parser.reset();
        Document doc = parser.parse(new ByteArrayInputStream(SMALL.getBytes(StandardCharsets.UTF_8)));
        assertEquals("7", doc.getDocumentElement().getAttribute("id"));
        assertEquals(2, doc.getElementsByTagName("line").getLength());
    }

    @Test
    void stylesheetCompilationAndTransformsInterruptedAnywhereLeaveTheFactoryRight() throws Exception {
        TransformerFactory factory = TransformerFactory.newInstance();
        // Measured 992 of 1000 (0.99) on JDK 17, 957 and 961 (0.96) on JDK 25; at a conservative
        // 0.85 (see InterruptedAnywhere), the floor at CI size is 60 of 100:
        // P(Binomial(100, 0.85) < 60) = 3.0e-10 (false failure).
        InterruptedAnywhere.check("XSLTC", 100, 9, 0.85, () -> {
            Templates templates = factory.newTemplates(new StreamSource(new StringReader(XSL)));
            StringWriter out = new StringWriter();
            templates.newTransformer().transform(new StreamSource(new StringReader(SMALL)), new StreamResult(out));
            return out.toString();
        });
        StringWriter out = new StringWriter();
        factory.newTemplates(new StreamSource(new StringReader(XSL))).newTransformer()
                .transform(new StreamSource(new StringReader(SMALL)), new StreamResult(out));
        assertEquals("order 7: Ax2 Bx5 total 7", out.toString());
    }
}
