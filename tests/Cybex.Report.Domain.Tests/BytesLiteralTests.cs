using Cybex.Report.Domain.Queries;
using Xunit;

namespace Cybex.Report.Domain.Tests;

public class BytesLiteralTests
{
    [Theory]
    [InlineData(new byte[] { 0x69, 0x74, 0x27, 0x73 }, "b\"it's\"")]
    [InlineData(new byte[] { 0x61, 0x22, 0x62, 0x27, 0x63 }, "b'a\"b\\'c'")]
    [InlineData(new byte[] { 0x00, 0x09, 0x0a, 0x0d, 0x5c, 0x20, 0x7f, 0x80, 0xff, 0x7e }, "b'\\x00\\t\\n\\r\\\\ \\x7f\\x80\\xff~'")]
    public void Formats_and_parses_like_cpython(byte[] bytes, string literal)
    {
        Assert.Equal(literal, PyBytesLiteral.Format(bytes));
        Assert.Equal(bytes, PyBytesLiteral.Parse(literal));
    }

    [Theory]
    [InlineData("__import__('os').system('id')")]
    [InlineData("'plain'")]
    [InlineData("b'abc")]
    [InlineData("b'a'b'")]
    [InlineData("b'\\q'")]
    [InlineData("b'\\x4'")]
    [InlineData("b'\u00e9'")]
    [InlineData("")]
    [InlineData("bb''")]
    public void Rejects_anything_but_a_bytes_literal(string text) =>
        Assert.Throws<QueryDecodeException>(() => PyBytesLiteral.Parse(text));
}
