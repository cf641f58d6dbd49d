Mnist.Core.Infrastructure.NativeTuning.Apply(); // process-wide settings, once, before anything touches libtorch
return await Mnist.Cli.CliApp.RunAsync(args, Console.Out, Console.Error);
