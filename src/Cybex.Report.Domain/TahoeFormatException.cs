namespace Cybex.Report.Domain;

/// <summary>Data that does not have the shape TAHOE or the original API gives it.</summary>
public sealed class TahoeFormatException(string message) : Exception(message);
