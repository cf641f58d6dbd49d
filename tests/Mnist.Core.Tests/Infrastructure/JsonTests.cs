using Mnist.Core.Infrastructure;

namespace Mnist.Core.Tests.Infrastructure;

/// <summary>The project's one JSON convention, as people read it in files and --json output.</summary>
public sealed class JsonTests
{
    private sealed record Message(string Text);

    [Fact]
    public void An_apostrophe_and_a_non_ascii_letter_are_written_as_they_are()
    {
        var json = Json.Serialize(new Message("the model's ±10° shift"), indented: false);

        Assert.Equal("{\"text\":\"the model's ±10° shift\"}", json);
    }

    [Fact]
    public void A_quote_and_a_control_character_are_still_escaped()
    {
        var json = Json.Serialize(new Message("say \"7\"\n"), indented: false);

        Assert.Equal("{\"text\":\"say \\\"7\\\"\\n\"}", json);
        Assert.Equal("say \"7\"\n", Json.Deserialize<Message>(json, "test").Text);
    }
}
