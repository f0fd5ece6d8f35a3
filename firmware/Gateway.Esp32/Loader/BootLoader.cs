using System;
using System.Diagnostics;
using System.IO;
using System.Reflection;
using System.Threading;
using Iot.Gateway.Esp32.Adapters;
using NativePower = nanoFramework.Runtime.Native.Power; // "Power" alone would name the core's Iot.Gateway.Power

namespace Iot.Gateway.Esp32.Loader
{
    /// <summary>
    /// The small app in the deployment area that starts the gateway (README.md, "Over-the-air updates"): it applies
    /// the boot marker (a pending switch or revert, the trial boot count, giving up on a bundle that keeps failing),
    /// loads the .pe files of the active bundle with Assembly.Load and runs Iot.Gateway.Esp32.Program.Main.
    /// </summary>
    public class BootLoader
    {
        /// <summary>
        /// Trial boots after which the loader returns to the previous bundle itself: two more than the app's own
        /// limit (OtaSettings.MaxTrialBoots = 3), so a bundle whose app runs reports crash_loop itself first.
        /// </summary>
        private const int GiveUpAfterTrialBoots = 5;
        private const string EntryType = "Iot.Gateway.Esp32.Program";
        private const string EntryMethod = "Main";
        private const int RetryMs = 10000;

        /// <summary>Entry point of the loader's deployment.</summary>
        public static void Main()
        {
            // No marker yet (first boot after the factory deployment): bundle a runs, and the app writes the marker.
            var marker = new BootMarker(BootMarker.DefaultPath, null);
            if (marker.Exists) marker.Boot(GiveUpAfterTrialBoots);
            string bundle = BootMarker.BundlePath(marker.Active);
            try
            {
                MethodInfo main = LoadBundle(bundle);
                if (main == null) throw new InvalidOperationException("no " + EntryType + "." + EntryMethod + " in " + bundle);
                main.Invoke(null, new object[0]); // the gateway's main loop never returns
            }
            catch (Exception e)
            {
                Debug.WriteLine("bundle " + bundle + " (" + marker.Running + ") failed: " + e.Message);
            }
            // The app failed to load or ended: like a crash, restart. On trial each restart counts, so a bundle that
            // cannot start is given up after GiveUpAfterTrialBoots; a confirmed one is retried.
            Thread.Sleep(RetryMs);
            NativePower.RebootDevice();
        }

        // Reads a bundle ("IGB1", file count u16, then name length u16, name, length u32, bytes per file), loads
        // every .pe in it and returns the gateway's entry point, or null.
        private static MethodInfo LoadBundle(string path)
        {
            MethodInfo main = null;
            using (var file = new FileStream(path, FileMode.Open))
            {
                byte[] head = new byte[6];
                ReadFully(file, head, 6);
                if (head[0] != (byte)'I' || head[1] != (byte)'G' || head[2] != (byte)'B' || head[3] != (byte)'1') throw new InvalidOperationException("not a bundle");
                int files = head[4] | (head[5] << 8);
                for (int f = 0; f < files; f++)
                {
                    ReadFully(file, head, 2);
                    byte[] name = new byte[head[0] | (head[1] << 8)];
                    ReadFully(file, name, name.Length);
                    ReadFully(file, head, 4);
                    int length = head[0] | (head[1] << 8) | (head[2] << 16) | (head[3] << 24);
                    if (!EndsWithPe(name))
                    {
                        file.Seek(length, SeekOrigin.Current);
                        continue;
                    }
                    // One allocation of the assembly's size: Assembly.Load keeps the image in RAM.
                    byte[] image = new byte[length];
                    ReadFully(file, image, length);
                    Type entry = Assembly.Load(image).GetType(EntryType);
                    if (entry != null) main = entry.GetMethod(EntryMethod);
                }
            }
            return main;
        }

        private static bool EndsWithPe(byte[] name)
        {
            int n = name.Length;
            return n > 3 && name[n - 3] == (byte)'.' && (name[n - 2] | 0x20) == (byte)'p' && (name[n - 1] | 0x20) == (byte)'e';
        }

        private static void ReadFully(FileStream file, byte[] buffer, int count)
        {
            int done = 0;
            while (done < count)
            {
                int n = file.Read(buffer, done, count - done);
                if (n <= 0) throw new InvalidOperationException("bundle is truncated");
                done += n;
            }
        }
    }
}
