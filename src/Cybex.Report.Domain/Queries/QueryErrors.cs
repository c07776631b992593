using Cybex.Report.Domain.Python;

namespace Cybex.Report.Domain.Queries;

/// <summary>
/// A query the original answers with a <c>failed</c> report carrying <c>"{repr(e)}! -- {str(e)}"</c>; the
/// report text keeps that shape so the API's clients see the same message.
/// </summary>
public abstract class QueryRejectedException(string message) : Exception(message)
{
    public abstract string Kind { get; }

    public virtual string ReportText => TextOf(Kind, Message);

    /// <summary>The original's <c>"{repr(e)}! -- {str(e)}"</c> for an exception of this kind and message.</summary>
    public static string TextOf(string kind, string message) => $"{kind}({PyRepr.Str(message)})! -- {message}";
}

public sealed class InvalidParameterValueException(string message) : QueryRejectedException(message)
{
    public override string Kind => "InvalidParameterValue";
}

public sealed class InvalidUserException(string message) : QueryRejectedException(message)
{
    public override string Kind => "InvalidUserError";
}

public sealed class QueryValidationException(string message, string validator, string path) : QueryRejectedException(message)
{
    public override string Kind => "ValidationError";

    public string Validator { get; } = validator;

    public string Path { get; } = path;

    public override string ReportText => $"<ValidationError: {PyRepr.Str(Message)}>! -- {Message}";
}
