// Benchmarks/request-floor.c: what the kernel alone charges a client per request on loopback
// TCP. The client sends 64-byte requests and receives N-byte replies, DEPTH requests in flight;
// a forked server answers each from a buffer. MODE 0 receives each reply with MSG_WAITALL;
// MODE 1 as cifstep's cifsd does (SO_RCVLOWAT raised to the reply, poll, MSG_DONTWAIT).
// Prints the client's CPU per GiB and per request. No SMB, no threads, no copies beyond the
// receive: the floor a client's per-request cost is measured against.
//
// usage: request-floor N DEPTH MiB [MODE]   (Benchmarks/request-floor.sh runs the usual set)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
static void die(const char *s) { perror(s); exit(1); }
int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: request-floor N DEPTH MiB [MODE]\n"); return 2; }
  long n=atol(argv[1]); int depth=atoi(argv[2]); long total=atol(argv[3])<<20; int mode=argc>4?atoi(argv[4]):0;
  int ls=socket(AF_INET,SOCK_STREAM,0); struct sockaddr_in a={.sin_family=AF_INET,.sin_addr.s_addr=htonl(0x7f000001)};
  if(bind(ls,(void*)&a,sizeof a)) die("bind"); socklen_t al=sizeof a; getsockname(ls,(void*)&a,&al); listen(ls,1);
  pid_t pid=fork();
  if(pid==0){ int s=accept(ls,0,0); char req[64]; char*buf=malloc(n); memset(buf,7,n);
    for(;;){ size_t g=0; while(g<64){ssize_t r=read(s,req+g,64-g); if(r<=0) _exit(0); g+=r;}
      size_t o=0; while(o<(size_t)n){ssize_t w=send(s,buf+o,n-o,0); if(w<=0) _exit(0); o+=w;} } }
  int c=socket(AF_INET,SOCK_STREAM,0); if(connect(c,(void*)&a,sizeof a)) die("connect");
  int one=1; setsockopt(c,IPPROTO_TCP,TCP_NODELAY,&one,sizeof one);
  char*buf=malloc(n); char req[64]={0}; long reqs=total/n, sent=0, got=0;
  struct rusage r0,r1; getrusage(RUSAGE_SELF,&r0);
  while(got<reqs){
    while(sent<reqs && sent-got<depth){ if(send(c,req,64,0)!=64) die("send"); sent++; }
    if(mode==0){ ssize_t r=recv(c,buf,n,MSG_WAITALL); if(r!=n) die("recv"); }
    else { int lw=n; setsockopt(c,SOL_SOCKET,SO_RCVLOWAT,&lw,sizeof lw); struct pollfd p={c,POLLIN,0}; poll(&p,1,-1);
      size_t g=0; while(g<(size_t)n){ ssize_t r=recv(c,buf+g,n-g,g?0:MSG_DONTWAIT); if(r<=0) die("recv2"); g+=r;} lw=1; setsockopt(c,SOL_SOCKET,SO_RCVLOWAT,&lw,sizeof lw);}
    got++;
  }
  getrusage(RUSAGE_SELF,&r1);
  double u=(r1.ru_utime.tv_sec-r0.ru_utime.tv_sec)+(r1.ru_utime.tv_usec-r0.ru_utime.tv_usec)/1e6;
  double s=(r1.ru_stime.tv_sec-r0.ru_stime.tv_sec)+(r1.ru_stime.tv_usec-r0.ru_stime.tv_usec)/1e6;
  double gib=(double)reqs*n/(1<<30);
  printf("n=%ld depth=%d mode=%d reqs=%ld: user %.3f sys %.3f CPU-s/GiB %.3f  (%.1f us/req) vcsw %ld\n",n,depth,mode,reqs,u/gib,s/gib,(u+s)/gib,(u+s)/reqs*1e6, r1.ru_nvcsw-r0.ru_nvcsw);
  close(c); kill(pid,9); waitpid(pid,0,0); return 0;
}
