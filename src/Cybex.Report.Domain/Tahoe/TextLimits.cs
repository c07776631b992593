namespace Cybex.Report.Domain.Tahoe;

/// <summary>Hostile documents can carry megabytes in one field: log lines and messages show a bounded head of it.</summary>
public static class TextLimits
{
    public static string Shorten(string? text, int max) =>
        text is null ? "None" : text.Length <= max ? text : text[..max] + $"… ({text.Length} characters)";
}
