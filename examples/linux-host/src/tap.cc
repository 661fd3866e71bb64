// TAP/TUN devices for the l2tp-core Linux host example: open(name, tap) creates or attaches a
// device (IFF_NO_PI: frames without the 4-byte packet-information prefix) and returns a
// non-blocking fd; watch(fd, cb) calls cb whenever the fd is readable (libuv poll on the Node
// loop) and returns stop(). Reading and writing are done in JS with fs.readSync/fs.writeSync.
// Non-blocking on purpose: a blocking read on a threadpool thread keeps Node alive after close.
#include <napi.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace {

Napi::Value ThrowErrno(Napi::Env env, const char* what, int err) {
  Napi::Error e = Napi::Error::New(env, std::string(what) + ": " + std::strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

// open(name: string, tap: boolean) -> { fd, name }
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBoolean()) {
    Napi::TypeError::New(env, "open(name: string, tap: boolean)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name.size() >= IFNAMSIZ) {
    Napi::RangeError::New(env, "interface name too long").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return ThrowErrno(env, "open /dev/net/tun", errno);
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = (info[1].As<Napi::Boolean>().Value() ? IFF_TAP : IFF_TUN) | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    ::close(fd);
    return ThrowErrno(env, "ioctl TUNSETIFF", err);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", Napi::Number::New(env, fd));
  out.Set("name", Napi::String::New(env, ifr.ifr_name));
  return out;
}

struct Watch {
  uv_poll_t poll;
  Napi::FunctionReference callback;
  bool stopped = false;
};

void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  Watch* w = static_cast<Watch*>(handle->data);
  if (w->stopped) return;
  Napi::Env env = w->callback.Env();
  Napi::HandleScope scope(env);
  // Errors (status < 0) are passed on; the JS side decides whether to stop.
  w->callback.MakeCallback(env.Global(), {Napi::Number::New(env, status)});
}

void OnClosed(uv_handle_t* handle) {
  delete static_cast<Watch*>(handle->data);
}

// watch(fd: number, cb: (status: number) => void) -> stop(): void (idempotent)
Napi::Value WatchFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "watch(fd: number, cb: function)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    Napi::Error::New(env, "no libuv loop").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Watch* w = new Watch();
  w->poll.data = w;
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc != 0) {
    delete w;
    Napi::Error::New(env, std::string("uv_poll_init: ") + uv_strerror(rc))
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  w->callback = Napi::Persistent(info[1].As<Napi::Function>());
  rc = uv_poll_start(&w->poll, UV_READABLE, OnReadable);
  if (rc != 0) {
    w->stopped = true;
    w->callback.Reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnClosed);
    Napi::Error::New(env, std::string("uv_poll_start: ") + uv_strerror(rc))
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Function::New(env, [w](const Napi::CallbackInfo& i) -> Napi::Value {
    // The poll must be stopped before the fd is closed (libuv requirement).
    if (!w->stopped) {
      w->stopped = true;
      w->callback.Reset();
      uv_poll_stop(&w->poll);
      uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnClosed);
    }
    return i.Env().Undefined();
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("open", Napi::Function::New(env, Open));
  exports.Set("watch", Napi::Function::New(env, WatchFd));
  return exports;
}

}  // namespace

NODE_API_MODULE(tap, Init)
