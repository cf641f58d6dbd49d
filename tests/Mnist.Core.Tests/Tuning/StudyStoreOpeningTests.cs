using Mnist.Core.Tuning;
using Mnist.Testing;

namespace Mnist.Core.Tests.Tuning;

/// <summary>Which store <see cref="StudyStorage"/> opens for a <c>--storage</c> value (none, sqlite:///, postgresql://).</summary>
public sealed class StudyStoreOpeningTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static StudyDefinition Study(string name) => new(name, TestFunctions.BraninSpace.Parameters, TuningObjective.ValLoss);

    [Fact]
    public void Given_no_storage_When_a_study_is_opened_Then_it_is_the_SQLite_file_named_after_the_study_in_the_out_folder()
    {
        using var store = StudyStorage.Open(null, _dir.Path, "branin");

        var sqlite = Assert.IsType<SqliteStudyStore>(store);
        Assert.Equal(Path.GetFullPath(SqliteStudyStore.FileFor(_dir.Path, "branin")), sqlite.Path);
    }

    [Fact]
    public void Given_a_sqlite_url_When_a_study_is_opened_Then_it_is_that_file()
    {
        var file = _dir.File("elsewhere/shared.db");

        using var store = StudyStorage.Open("sqlite:///" + file, _dir.File("out"), "branin");

        Assert.Equal(file, Assert.IsType<SqliteStudyStore>(store).Path);
    }

    [Fact]
    public void Given_a_postgresql_url_When_a_study_is_opened_Then_it_is_that_study_on_that_server_without_the_password()
    {
        using var store = StudyStorage.Open("postgresql://tuner:hunter2@db.example:5433/optuna", _dir.Path, "branin");

        var postgres = Assert.IsType<PostgresStudyStore>(store);
        Assert.Equal("branin", postgres.Study);
        Assert.Equal("postgresql://tuner:***@db.example:5433/optuna (study 'branin')", postgres.Location);
        Assert.False(Directory.EnumerateFileSystemEntries(_dir.Path).Any());
    }

    [Fact]
    public void Given_a_study_made_without_storage_When_opened_existing_by_DIR_NAME_Then_its_trials_are_read()
    {
        using (var made = StudyStorage.Open(null, _dir.Path, "branin"))
        {
            made.OpenOrCreate(Study("branin"));
            made.Claim(new ClaimRequest("w", 3, TimeSpan.FromMinutes(1), _ => new TrialProposal([0.5, 0.5], TestFunctions.BraninSpace.FromUnit([0.5, 0.5]))));
        }

        using var store = StudyStorage.OpenExisting(null, Path.Combine(_dir.Path, "branin"));

        Assert.Equal("branin", store.Definition.Name);
        Assert.Single(store.Trials());
    }

    [Fact]
    public void Given_a_sqlite_url_of_another_study_When_opened_existing_by_name_Then_the_error_names_both()
    {
        var file = _dir.File("shared.db");
        using (var made = StudyStorage.Open("sqlite:///" + file, _dir.Path, "branin")) made.OpenOrCreate(Study("branin"));

        var e = Assert.Throws<StudyNotFoundException>(() => StudyStorage.OpenExisting("sqlite:///" + file, "hartmann"));

        Assert.Contains("'branin'", e.Message);
        Assert.Contains("'hartmann'", e.Message);
    }

    [Fact]
    public void Given_an_unknown_storage_scheme_When_a_study_is_opened_Then_the_error_says_what_is_expected()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => StudyStorage.Open("mysql://db/optuna", _dir.Path, "branin"));

        Assert.Contains("postgresql://", e.Message);
    }
}
