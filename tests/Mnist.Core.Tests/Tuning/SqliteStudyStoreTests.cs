using Mnist.Core.Tuning;
using Mnist.Testing;

namespace Mnist.Core.Tests.Tuning;

/// <summary>The SQLite store (one study per file) against the study store's contract.</summary>
public sealed class SqliteStudyStoreTests : StudyStoreContract
{
    private readonly TempDir _dir = new();

    protected override IStudyStore Unopened() => new SqliteStudyStore(_dir.File("study.db"));

    protected override void Dispose(bool disposing)
    {
        if (disposing) _dir.Dispose();
    }
}
