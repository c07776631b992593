using System.Buffers.Binary;
using Xunit;

namespace Cybex.Report.Cli.Tests;

/// <summary>A written picture, opened: a PNG of the size asked for, with something drawn in it.</summary>
public static class PlotFiles
{
    public static void AssertPng(string path, int width, int height)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        // The first chunk is IHDR: width and height, big-endian.
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4)));
        // Axes, labels, points and bars: far more than an empty canvas compresses to.
        Assert.True(bytes.Length > 20_000, $"{path} is only {bytes.Length} bytes");
    }
}
